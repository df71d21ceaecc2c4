--[[
  commit: settles leases of one partition, moving each instance to its next slot or deleting it.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  wake channel
  ARGV[2]  wake tag, "partition:task"
  ARGV[3]  now, epoch ms
  then per item, 5 values:
           name, lease version, lease incarnation,
           nextRunAt (epoch ms; empty to delete the instance),
           keepLease ("1": at-most-once, the lease stays held under the new version)

  Returns, per item in order, 2 values:
    status: 0 ok, 1 lease lost, 2 not found
    the version the instance carries after the commit (0 unless ok)
  Publishes a wake-up when the partition's earliest ready time became sooner.
]]
local due, inst = KEYS[1], KEYS[2]
local channel, tag = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])

local names = {}
for i = 4, #ARGV, 5 do names[#names + 1] = ARGV[i] end
local before = earliest(due)
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for i = 4, #ARGV, 5 do
  local name = ARGV[i]
  local record = records[name]
  local status = lease_status(record, tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), now)
  local new_version = 0
  if status == STATUS_OK then
    if ARGV[i + 3] == '' then
      records[name] = false
      record_change(changes, name, false, 0)
    else
      local next_run = tonumber(ARGV[i + 3])
      local _, locked, version, _, incarnation, created, owner_length = header(record)
      new_version = bump(version)
      if ARGV[i + 4] == '1' then
        record = rebuild(record, owner_length, next_run, locked, new_version, 0, incarnation, created, nil)
      else
        locked = 0
        record = rebuild(record, owner_length, next_run, 0, new_version, 0, incarnation, created, '')
      end
      records[name] = record
      record_change(changes, name, record, ready_at(next_run, locked))
    end
  end
  out[#out + 1] = status
  out[#out + 1] = new_version
end

flush(due, inst, changes)
wake_if_sooner(due, before, channel, tag)
return out
