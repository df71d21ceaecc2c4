--[[
  extend: heartbeats; moves the end of live leases of one partition.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  now, epoch ms
  ARGV[2]  the items, packed one after the other as LEASE_ITEM (common.lua): name, lease
           version, lease incarnation, duration ms

  Each live lease gets lockedUntil = now + duration (version unchanged) and is re-scored to it (a paused
  instance stays out of `due`).
  Returns, per item in order: status 0 ok, 1 lease lost, 2 not found.
]]
local due, inst = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])

local names, versions, incarnations, durations = unpack_leases(ARGV[2])
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for n, name in ipairs(names) do
  local record = records[name]
  local status = lease_status(record, versions[n], incarnations[n], now)
  if status == STATUS_OK then
    local next_run, _, version, attempt, incarnation, created, owner_length, paused = header(record)
    local locked = now + durations[n]
    record = rebuild(record, owner_length, next_run, locked, version, attempt, incarnation, created, nil)
    records[name] = record
    record_change(changes, name, record, indexed_score(paused, next_run, locked))
  end
  out[#out + 1] = status
end

flush(due, inst, changes)
return out
