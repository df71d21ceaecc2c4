--[[
  release: gives leases of one partition up, so the instances run again (at-least-once).

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  wake channel
  ARGV[2]  wake tag, "partition:task"
  ARGV[3]  now, epoch ms
  ARGV[4]  the items, packed one after the other as LEASE_ITEM (common.lua): name, lease
           version, lease incarnation, retryAt (epoch ms before which the instance must not
           run again; 0: at once)

  The retry delay is kept in lockedUntil, never in nextRunAt, so the scheduled slot (from
  which the next one is computed) is not disturbed. The version is bumped: the old lease is dead.
  A paused instance stays out of `due`.
  Returns, per item in order: status 0 ok, 1 lease lost, 2 not found.
  Publishes a wake-up when the partition's earliest ready time became sooner.
]]
local due, inst = KEYS[1], KEYS[2]
local channel, tag = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])

local names, versions, incarnations, retry_ats = unpack_leases(ARGV[4])
local before = earliest(due)
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for n, name in ipairs(names) do
  local record = records[name]
  local status = lease_status(record, versions[n], incarnations[n], now)
  if status == STATUS_OK then
    local next_run, _, version, attempt, incarnation, created, owner_length, paused = header(record)
    local locked = retry_ats[n]
    record = rebuild(record, owner_length, next_run, locked, bump(version), attempt, incarnation, created, '')
    records[name] = record
    record_change(changes, name, record, indexed_score(paused, next_run, locked))
  end
  out[#out + 1] = status
end

flush(due, inst, changes)
wake_if_sooner(due, before, channel, tag)
return out
