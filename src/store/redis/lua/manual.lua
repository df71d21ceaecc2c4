--[[
  manual: asks instances of one partition for a manual run (issue 14: TriggerInstances,
  BackfillInstances), one atomic step each (transitions.ts manualRequested).

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  wake channel
  ARGV[2]  wake tag, "partition:task"
  ARGV[3]  now, epoch ms
  ARGV[4]  the items, packed one after the other as MANUAL_ITEM (scripts.ts writes them):
           name length and name, the first manual slot and the last (epoch ms, doubles),
           kind (1 triggered, 2 backfill), request id length and id (UTF-8, at most 64 bytes)

  An idle active instance is armed: its slot becomes the first manual one (due at once,
  unlocked, version bumped) and the scheduled slot is kept in the section's `resume`. One with a
  live lease, or whose slot waits for a retry (attempt > 0), gets the run queued in its section;
  the commit settling that slot arms it (common.lua manual_committed).
  Returns, per item in order: 0 accepted, 1 queued, 2 duplicate (the same id is stored), 3 busy
  (another manual run has not finished), 4 not active (paused or dead-lettered), 5 not found.
  Publishes a wake-up when the partition's earliest ready time became sooner.
]]
local due, inst = KEYS[1], KEYS[2]
local channel, tag = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
local ACCEPTED, QUEUED, DUPLICATE, BUSY, NOT_ACTIVE, NOT_FOUND = 0, 1, 2, 3, 4, 5

local MANUAL_ITEM = '<I4c0ddBBc0'

local packed = ARGV[4]
local names, firsts, lasts, kinds, ids = {}, {}, {}, {}, {}
local pos = 1
while pos <= #packed do
  local n = #names + 1
  names[n], firsts[n], lasts[n], kinds[n], ids[n], pos = struct.unpack(MANUAL_ITEM, packed, pos)
end
local before = earliest(due)
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for n, name in ipairs(names) do
  local record = records[name]
  local id, kind = ids[n], kinds[n]
  local code -- nil until decided
  if not record then
    code = NOT_FOUND
  elseif is_paused(record) then
    code = NOT_ACTIVE
  else
    local next_run, locked, version, attempt, incarnation, created, owner_length = header(record)
    local _, manual, tail = sections_of(record, owner_length)
    if manual ~= '' then
      local state, _, _, _, _, stored_id = unpack_manual(manual)
      if stored_id == id then code = DUPLICATE elseif state ~= MANUAL_DONE then code = BUSY end
    end
    if code == nil then
      if is_leased(owner_length, locked, now) or attempt > 0 then
        manual = pack_manual(MANUAL_WAITING, kind, firsts[n], lasts[n], 0, id)
        record = pack_record(next_run, locked, version, attempt, incarnation, created,
          owner_of(record, owner_length), tail, '', manual)
        record_change(changes, name, record, ready_at(next_run, locked))
        code = QUEUED
      else
        manual = pack_manual(MANUAL_ARMED, kind, firsts[n], lasts[n], next_run, id)
        record = pack_record(firsts[n], 0, bump(version), attempt, incarnation, created, '', tail, '', manual)
        record_change(changes, name, record, ready_at(firsts[n], 0))
        code = ACCEPTED
      end
      records[name] = record
    end
  end
  out[n] = code
end

flush(due, inst, changes)
wake_if_sooner(due, before, channel, tag)
return out
