--[[
  release: gives leases of one partition up, so the instances run again (at-least-once).

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  KEYS[3]  the partition's `runs` hash (run history, common.lua record_run)
  ARGV[1]  wake channel
  ARGV[2]  wake tag, "partition:task"
  ARGV[3]  now, epoch ms
  ARGV[4]  the items, packed one after the other as RELEASE_ITEM (scripts.ts writes them):
           name length and name, lease version, lease incarnation (doubles, as the lease id
           carried them), retryAt (epoch ms before which the instance must not run again; 0:
           at once), park (0: none; else the format byte to park the record in, paused or
           dead-lettered, when its retry policy ran out), note length and note (the park's),
           then the failed run the release settles as commit.lua takes it: outcome (0: none),
           history limit, entry length and entry

  The retry delay is kept in lockedUntil, never in nextRunAt, so the scheduled slot (from
  which the next one is computed) is not disturbed. The version is bumped: the old lease is dead.
  A parked record (transitions.ts released) keeps its slot, is unlocked with attempt 0 and
  gains a pause section (paused at now, with the note), out of `due`; one paused while its
  execution was in flight keeps that pause. A paused instance stays out of `due`.
  Returns, per item in order: status 0 ok, 1 lease lost, 2 not found.
  Publishes a wake-up when the partition's earliest ready time became sooner.
]]
local due, inst = KEYS[1], KEYS[2]
local channel, tag = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])

-- One item: name length and name, version, incarnation, retryAt, park format, note length and
-- note, outcome, history limit, entry length and entry.
local RELEASE_ITEM = '<I4c0dddBI2c0BBI2c0'

local packed = ARGV[4]
local names, versions, incarnations, retry_ats, parks, notes = {}, {}, {}, {}, {}, {}
local outcomes, limits, entries = {}, {}, {}
local pos = 1
while pos <= #packed do
  local n = #names + 1
  names[n], versions[n], incarnations[n], retry_ats[n], parks[n], notes[n], outcomes[n], limits[n], entries[n], pos =
    struct.unpack(RELEASE_ITEM, packed, pos)
end
local before = earliest(due)
local records = load_records(inst, names)
local changes = new_changes()
local out = {}
local run_order, run_items = {}, {}

for n, name in ipairs(names) do
  local record = records[name]
  local status = lease_status(record, versions[n], incarnations[n], now)
  if status == STATUS_OK and outcomes[n] ~= 0 then
    run_order[#run_order + 1] = name
    run_items[#run_items + 1] = n
  end
  if status == STATUS_OK then
    local next_run, _, version, attempt, incarnation, created, owner_length, paused = header(record)
    if parks[n] ~= 0 then
      local pause, manual, tail = sections_of(record, owner_length)
      if pause == '' then pause = new_pause(now, notes[n], parks[n]) end
      record = pack_record(next_run, 0, bump(version), 0, incarnation, created, '', tail, pause, manual)
      records[name] = record
      record_change(changes, name, record, false)
    else
      local locked = retry_ats[n]
      record = rebuild(record, owner_length, next_run, locked, bump(version), attempt, incarnation, created, '')
      records[name] = record
      record_change(changes, name, record, indexed_score(paused, next_run, locked))
    end
  end
  out[#out + 1] = status
end

flush(due, inst, changes)
flush_runs(KEYS[3], run_order, run_items, outcomes, limits, entries, {})
wake_if_sooner(due, before, channel, tag)
return out
