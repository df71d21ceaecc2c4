--[[
  commit: settles leases of one partition, moving each instance to its next slot or deleting it.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  KEYS[3]  the partition's `runs` hash (run history, common.lua record_run)
  ARGV[1]  wake channel
  ARGV[2]  wake tag, "partition:task"
  ARGV[3]  now, epoch ms
  ARGV[4]  the items, packed one after the other as COMMIT_ITEM (scripts.ts writes them):
           name length and name, lease version, lease incarnation (doubles, as the lease id
           carried them), nextRunAt (epoch ms), holdUntil (epoch ms the instance stays held
           without an owner: the next slot's jitter, transitions.ts committed; 0 for none),
           flags (1: keepLease, at-most-once, the lease stays held under the new version;
           2: delete the instance, nextRunAt unused; 4: the lease finished the instance's
           armed manual run, which becomes done), then the run the commit settles:
           outcome (0: none to record, 1 success, 2 failure), history limit, and the run's
           entry, length first (run-codec.ts encodes it)

  A paused instance keeps its pause and stays out of `due`. A manual run queued while the slot
  was in flight is armed (common.lua manual_committed): its first slot is stored, due at once.
  Returns, per item in order, 2 values:
    status: 0 ok, 1 lease lost, 2 not found
    the version the instance carries after the commit (0 unless ok)
  Publishes a wake-up when the partition's earliest ready time became sooner.
]]
local due, inst = KEYS[1], KEYS[2]
local channel, tag = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])

-- One item: name length and name, version, incarnation, nextRunAt, holdUntil, flags, outcome,
-- history limit, entry length and entry.
local COMMIT_ITEM = '<I4c0ddddBBBI2c0'
local KEEP_LEASE, DELETE, FINISH_MANUAL = 1, 2, 4

local packed = ARGV[4]
local names, versions, incarnations, next_runs, holds, flags = {}, {}, {}, {}, {}, {}
local outcomes, limits, entries = {}, {}, {}
local pos = 1
while pos <= #packed do
  local n = #names + 1
  names[n], versions[n], incarnations[n], next_runs[n], holds[n], flags[n], outcomes[n], limits[n], entries[n], pos =
    struct.unpack(COMMIT_ITEM, packed, pos)
end
local before = earliest(due)
local records = load_records(inst, names)
local changes = new_changes()
local out = {}
local run_order, run_items, gone = {}, {}, {}

for n, name in ipairs(names) do
  local record = records[name]
  -- The header is unpacked once: this loop runs for every execution.
  local status, next_run, locked, version, _, incarnation, created, owner_length, paused = STATUS_NOT_FOUND
  if record then
    _, locked, version, _, incarnation, created, owner_length, paused = header(record)
    status = lease_status_of(locked, version, incarnation, versions[n], incarnations[n], now)
  end
  local new_version = 0
  if status == STATUS_OK then
    -- The flags taken apart by arithmetic (bit.band is a C call a commit).
    local flag = flags[n]
    local finish = flag >= FINISH_MANUAL
    if finish then flag = flag - FINISH_MANUAL end
    if flag >= DELETE then
      records[name] = false
      record_change(changes, name, false, 0)
      gone[#gone + 1] = name
    else
      if outcomes[n] ~= 0 then
        run_order[#run_order + 1] = name
        run_items[#run_items + 1] = n
      end
      next_run = next_runs[n]
      new_version = bump(version)
      local keep = flag == KEEP_LEASE
      local owner = nil
      if not keep then locked, owner = holds[n], '' end
      if has_manual(record) then
        local pause, manual, tail = sections_of(record, owner_length)
        local armed
        manual, next_run, armed = manual_committed(manual, next_run, finish)
        if armed and not keep then locked = 0 end
        if owner == nil then owner = owner_of(record, owner_length) end
        record = pack_record(next_run, locked, new_version, 0, incarnation, created, owner, tail, pause, manual)
      else
        record = rebuild(record, owner_length, next_run, locked, new_version, 0, incarnation, created, owner)
      end
      records[name] = record
      -- A paused instance (its execution was in flight) stays paused, out of `due`.
      record_change(changes, name, record, indexed_score(paused, next_run, locked))
    end
  end
  out[#out + 1] = status
  out[#out + 1] = new_version
end

flush(due, inst, changes)
flush_runs(KEYS[3], run_order, run_items, outcomes, limits, entries, gone)
wake_if_sooner(due, before, channel, tag)
return out
