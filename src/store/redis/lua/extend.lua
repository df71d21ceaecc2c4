--[[
  extend: heartbeats; moves the end of live leases of one partition.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  now, epoch ms
  then per item, 4 values: name, lease version, lease incarnation, duration ms

  Each live lease gets lockedUntil = now + duration (version unchanged) and is re-scored to it.
  Returns, per item in order: status 0 ok, 1 lease lost, 2 not found.
]]
local due, inst = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])

local names = {}
for i = 2, #ARGV, 4 do names[#names + 1] = ARGV[i] end
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for i = 2, #ARGV, 4 do
  local name = ARGV[i]
  local record = records[name]
  local status = lease_status(record, tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), now)
  if status == STATUS_OK then
    local next_run, _, version, attempt, incarnation, created, owner_length = header(record)
    local locked = now + tonumber(ARGV[i + 3])
    record = rebuild(record, owner_length, next_run, locked, version, attempt, incarnation, created, nil)
    records[name] = record
    record_change(changes, name, record, ready_at(next_run, locked))
  end
  out[#out + 1] = status
end

flush(due, inst, changes)
return out
