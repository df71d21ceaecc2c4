--[[
  claim: takes up to N ready instances of one partition, earliest first, under a lease.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  ARGV[1]  now, epoch ms: instances whose ready time is at or before it are taken
  ARGV[2]  limit, the most instances to take
  ARGV[3]  lease duration, ms
  ARGV[4]  lease owner (UTF-8, at most 255 bytes)

  Each taken instance gets version + 1, attempt + 1, lockedUntil = now + lease and the owner,
  and is re-scored to its lease end, so it comes back by itself if the lease runs out.
  Returns first the partition's earliest ready time after the claim (what nextDueAt would
  answer next; empty when the partition is empty), then, per taken instance in ready order,
  2 values: the name, the record after the claim.
]]
local due, inst = KEYS[1], KEYS[2]
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local lease_end = now + tonumber(ARGV[3])
local owner = ARGV[4]

-- The earliest score, as an integer reply (scores are whole milliseconds), or ''.
local function next_due()
  local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
  if first[2] then return tonumber(first[2]) end
  return ''
end

local names = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, limit)
if #names == 0 then return { next_due() } end
local records = load_records(inst, names)

local out, fields, scores, strays = { false }, {}, {}, {}
for _, name in ipairs(names) do
  local record = records[name]
  if record and not is_paused(record) then
    local next_run, _, version, attempt, incarnation, created, owner_length = header(record)
    if attempt < MAX_ATTEMPT then attempt = attempt + 1 end
    record = rebuild(record, owner_length, next_run, lease_end, bump(version), attempt, incarnation, created, owner)
    out[#out + 1] = name
    out[#out + 1] = record
    fields[#fields + 1] = name
    fields[#fields + 1] = record
    scores[#scores + 1] = lease_end
    scores[#scores + 1] = name
  else
    -- A due entry without a record (or of a paused one, which is never in `due`) cannot come
    -- from these scripts; drop it rather than return it on every claim.
    strays[#strays + 1] = name
  end
end

if #fields > 0 then
  call_chunked('HSET', inst, fields)
  call_chunked('ZADD', due, scores)
end
if #strays > 0 then call_chunked('ZREM', due, strays) end
out[1] = next_due()
return out
