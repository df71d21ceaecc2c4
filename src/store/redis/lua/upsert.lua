--[[
  upsert: creates or updates instances of one partition, one atomic step per instance.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  KEYS[3]  the partition's `gone` tombstone, set by deleteTask
  ARGV[1]  wake channel
  ARGV[2]  wake tag, "partition:task"
  ARGV[3]  now, epoch ms
  ARGV[4]  mode: "force" overwrites and unlocks; "safe" keeps the sooner due time and refuses
           an instance under a live lease; either keeps a paused instance paused (out of `due`);
           FORCE drops a manual run, SAFE keeps it
  ARGV[5]  the drafts, packed one after the other as DRAFT (scripts.ts writes them):
           name length and name, nextRunAt (epoch ms), holdUntil (the first slot's jitter
           hold, epoch ms, 0 for none), incarnation (used only when the instance is created),
           tail length and tail (the record's spec bytes, record-codec.ts)

  Returns, per draft in order, 2 values:
    outcome: 1 created, 2 updated, 3 locked (SAFE and leased: nothing changed)
    the record as the draft left it; empty when created (the caller knows it: the draft's
    fields, version 0, attempt 0, created now, unlocked), which saves most of the reply
  Returns a lone 0 instead, changing nothing, when the tombstone is set: the task was deleted
  after the caller read it, and these drafts must not outlive it.
  Publishes a wake-up when the partition's earliest ready time became sooner.
]]
local due, inst = KEYS[1], KEYS[2]
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local channel, tag = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
local force = ARGV[4] == 'force'
local CREATED, UPDATED, LOCKED = 1, 2, 3

-- One draft: name length and name, nextRunAt, holdUntil, incarnation, tail length and tail.
local DRAFT = '<I4c0dddI4c0'

local packed = ARGV[5]
local names, next_runs, holds, incarnations, tails = {}, {}, {}, {}, {}
local pos = 1
while pos <= #packed do
  local n = #names + 1
  names[n], next_runs[n], holds[n], incarnations[n], tails[n], pos = struct.unpack(DRAFT, packed, pos)
end
local before = earliest(due)
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for n, name in ipairs(names) do
  local next_run, hold, tail = next_runs[n], holds[n], tails[n]
  local record = records[name]
  local outcome, locked, paused = UPDATED, hold, false
  if not record then
    outcome = CREATED
    record = new_record(next_run, hold, incarnations[n], now, tail)
  else
    local stored_next, stored_locked, version, attempt, incarnation, created, owner_length, was_paused =
      header(record)
    -- A paused instance stays paused, whatever the mode: only a resume lifts a pause.
    local pause = pause_of(record, owner_length)
    -- A SAFE upsert keeps a manual run; FORCE gives it up with the schedule it was asked of.
    local manual = manual_at(record, owner_length, pause)
    paused = was_paused
    if force then
      -- Overwrite and unlock (or hold for the jitter); the version bump kills whatever lease was out.
      record = pack_record(next_run, hold, bump(version), 0, incarnation, created, '', tail, pause)
    elseif is_leased(owner_length, stored_locked, now) then
      outcome = LOCKED
    elseif next_run <= stored_next and hold > stored_locked then
      -- The draft's slot wins and its jitter hold is later than the stored lock
      -- (transitions.ts upserted): take the hold; the bump and the cleared owner keep an
      -- expired lease from coming back to life under it.
      record = pack_record(next_run, hold, bump(version), attempt, incarnation, created, '', tail, pause, manual)
    else
      -- Keep the sooner due time and whatever lock state there is (expired or a retry delay).
      if stored_next < next_run then next_run = stored_next end
      locked = stored_locked
      record = pack_record(next_run, locked, version, attempt, incarnation, created,
        owner_of(record, owner_length), tail, pause, manual)
    end
  end
  if outcome ~= LOCKED then
    records[name] = record
    record_change(changes, name, record, indexed_score(paused, next_run, locked))
  end
  out[#out + 1] = outcome
  if outcome == CREATED then out[#out + 1] = '' else out[#out + 1] = record end
end

flush(due, inst, changes)
wake_if_sooner(due, before, channel, tag)
return out
