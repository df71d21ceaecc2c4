--[[
  upsert: creates or updates instances of one partition, one atomic step per instance.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  wake channel
  ARGV[2]  wake tag, "partition:task"
  ARGV[3]  now, epoch ms
  ARGV[4]  mode: "force" overwrites and unlocks; "safe" keeps the sooner due time and refuses
           an instance under a live lease
  then per draft, 4 values:
           name, nextRunAt (epoch ms), incarnation (used only when the instance is created),
           tail (the record's spec bytes, record-codec.ts)

  Returns, per draft in order, 2 values:
    outcome: 1 created, 2 updated, 3 locked (SAFE and leased: nothing changed)
    the record as the draft left it
  Publishes a wake-up when the partition's earliest ready time became sooner.
]]
local due, inst = KEYS[1], KEYS[2]
local channel, tag = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])
local force = ARGV[4] == 'force'
local CREATED, UPDATED, LOCKED = 1, 2, 3

local names = {}
for i = 5, #ARGV, 4 do names[#names + 1] = ARGV[i] end
local before = earliest(due)
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for i = 5, #ARGV, 4 do
  local name, next_run, tail = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 3]
  local r = records[name]
  local outcome = UPDATED
  if not r then
    r = {
      next = next_run, locked = 0, version = 0, attempt = 0,
      incarnation = tonumber(ARGV[i + 2]), created = now, owner = '', tail = tail,
    }
    outcome = CREATED
  elseif force then
    -- The version bump kills whatever lease was out.
    r.next, r.locked, r.version, r.attempt, r.owner, r.tail = next_run, 0, bump(r.version), 0, '', tail
  elseif r.owner ~= '' and r.locked > now then
    outcome = LOCKED
  else
    if next_run < r.next then r.next = next_run end
    r.tail = tail
  end
  if outcome ~= LOCKED then
    r.encoded = write_record(r)
    records[name] = r
    record_change(changes, name, r)
  end
  out[#out + 1] = outcome
  out[#out + 1] = r.encoded or write_record(r)
end

flush(due, inst, changes)
wake_if_sooner(due, before, channel, tag)
return out
