--[[
  pause: pauses instances of one partition (issue 14), one atomic step each.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  now, epoch ms (the pause's time)
  ARGV[2]  the note (UTF-8, bounded by the caller)
  ARGV[3..] the instance names

  A paused record keeps its header and tail and gains a pause section (common.lua); it leaves
  `due`, so no claim takes it, while a lease that is out stays valid: the execution finishes,
  and its commit keeps the instance paused.
  Returns, per name in order: 0 paused, 1 already paused (nothing changes), 2 not found.
]]
local due, inst = KEYS[1], KEYS[2]
local now, note = tonumber(ARGV[1]), ARGV[2]
local PAUSED, ALREADY, NOT_FOUND = 0, 1, 2

local names = {}
for i = 3, #ARGV do names[#names + 1] = ARGV[i] end
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for n, name in ipairs(names) do
  local record = records[name]
  if not record then
    out[n] = NOT_FOUND
  elseif is_paused(record) then
    out[n] = ALREADY
  else
    local next_run, locked, version, attempt, incarnation, created, owner_length = header(record)
    local _, manual, tail = sections_of(record, owner_length)
    record = pack_record(next_run, locked, version, attempt, incarnation, created,
      owner_of(record, owner_length), tail, new_pause(now, note), manual)
    records[name] = record
    record_change(changes, name, record, false)
    out[n] = PAUSED
  end
end

flush(due, inst, changes)
return out
