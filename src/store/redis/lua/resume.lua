--[[
  resume: resumes paused instances of one partition (issue 14), one atomic step each.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  wake channel
  ARGV[2]  wake tag, "partition:task"
  ARGV[3]  the items, packed one after the other as RESUME_ITEM (scripts.ts writes them):
           name length and name, the stored nextRunAt the caller read, the nextRunAt to resume
           at (both epoch ms; equal when the stored slot is kept), the new slot's jitter
           hold (epoch ms, 0 for none: transitions.ts resumedInstance decides), and the
           format byte the caller read (paused or dead-lettered: each is resumed only by its
           own call; without the manual flag), and 1 when the resume ends the record's armed
           manual run (skip_missed), else 0

  A resumed record loses its pause section and is back in `due` at its ready time. The slot to
  resume at is computed by the caller (transitions.ts resumedInstance: the stored one, or with
  skip_missed the first after now); it applies only while the stored slot and format are still
  the ones the caller read, else the item answers 3 and the caller reads it again (a commit
  moved it).
  Returns, per item in order, 2 values:
    0 resumed, 1 not paused (nothing changes), 2 not found, 3 changed since read
    the ready time it is indexed at (0 unless resumed)
  Publishes a wake-up when the partition's earliest ready time became sooner.
]]
local due, inst = KEYS[1], KEYS[2]
local channel, tag = ARGV[1], ARGV[2]
local RESUMED, NOT_PAUSED, NOT_FOUND, CHANGED = 0, 1, 2, 3

-- One item: name length and name, the stored nextRunAt read, the nextRunAt to resume at, the
-- hold, the format read.
local RESUME_ITEM = '<I4c0dddBB'

local packed = ARGV[3]
local names, reads, next_runs, holds, formats, ends = {}, {}, {}, {}, {}, {}
local pos = 1
while pos <= #packed do
  local n = #names + 1
  names[n], reads[n], next_runs[n], holds[n], formats[n], ends[n], pos = struct.unpack(RESUME_ITEM, packed, pos)
end
local before = earliest(due)
local records = load_records(inst, names)
local changes = new_changes()
local out = {}

for n, name in ipairs(names) do
  local record = records[name]
  local code, score = NOT_FOUND, 0
  if record and not is_paused(record) then
    code = NOT_PAUSED
  elseif record then
    local stored_next, locked, version, attempt, incarnation, created, owner_length = header(record)
    if stored_next ~= reads[n] or base_format(record) ~= formats[n] then
      code = CHANGED
    else
      local next_run = next_runs[n]
      local owner = owner_of(record, owner_length)
      if holds[n] > locked then
        -- The new slot's jitter hold; the bump and the cleared owner end any expired lease.
        locked, version, owner = holds[n], bump(version), ''
      end
      local _, manual, tail = sections_of(record, owner_length)
      if ends[n] == 1 and manual ~= '' then
        -- Skipping missed slots gives an armed manual run up too (transitions.ts resumedInstance).
        local _, kind, first, last, _, id = unpack_manual(manual)
        manual = pack_manual(MANUAL_DONE, kind, first, last, 0, id)
      end
      record = pack_record(next_run, locked, version, attempt, incarnation, created,
        owner, tail, nil, manual)
      records[name] = record
      score = ready_at(next_run, locked)
      record_change(changes, name, record, score)
      code = RESUMED
    end
  end
  out[#out + 1] = code
  out[#out + 1] = score
end

flush(due, inst, changes)
wake_if_sooner(due, before, channel, tag)
return out
