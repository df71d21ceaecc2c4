--[[
  common.lua: the pieces every script shares. scripts.ts prepends this file to each script
  when it loads them, so they are written once and never pasted.

  The instance record (documented field by field in record-codec.ts) starts with the fields
  the scripts read and rewrite, at fixed offsets, in the struct layout HEADER:
    format, nextRunAt, lockedUntil, version, attempt, incarnation, createdAt
  then one length byte and the lease owner, then the tail the scripts never look into.

  Lease status codes, shared by commit, release and extend:
    0 ok, 1 lease lost (version moved on or the lease expired), 2 not found (instance or
    incarnation gone)
]]
local RECORD_FORMAT = 1
local HEADER = '<Bi6i6I4I2I6i6'
local OWNER_AT = 32 -- 1-based position of the owner length byte
local MAX_ATTEMPT = 65535
local VERSION_MODULUS = 4294967296 -- version is 4 bytes; it wraps rather than overflows
-- Arguments per Redis call: Lua's unpack() is bounded by its C stack (about 8000 values).
local CHUNK = 1000

local STATUS_OK, STATUS_LEASE_LOST, STATUS_NOT_FOUND = 0, 1, 2

local function read_record(bytes)
  local format, next_run, locked, version, attempt, incarnation, created = struct.unpack(HEADER, bytes)
  if format ~= RECORD_FORMAT then
    error('partitura: unknown record format ' .. tostring(format))
  end
  local owner_length = string.byte(bytes, OWNER_AT)
  return {
    next = next_run, locked = locked, version = version, attempt = attempt,
    incarnation = incarnation, created = created,
    owner = string.sub(bytes, OWNER_AT + 1, OWNER_AT + owner_length),
    tail = string.sub(bytes, OWNER_AT + 1 + owner_length),
  }
end

local function write_record(r)
  return struct.pack(HEADER, RECORD_FORMAT, r.next, r.locked, r.version, r.attempt, r.incarnation, r.created)
    .. string.char(#r.owner) .. r.owner .. r.tail
end

local function bump(version)
  return (version + 1) % VERSION_MODULUS
end

-- The ready time, the score in `due`: a claim may take the instance at or after it.
local function ready_at(r)
  if r.locked > r.next then return r.locked end
  return r.next
end

-- Whether the lease (version, incarnation) may still settle or extend `r` at `now`.
-- A lease is live up to and including its last millisecond.
local function lease_status(r, version, incarnation, now)
  if not r or r.incarnation ~= incarnation then return STATUS_NOT_FOUND end
  if r.version ~= version or now > r.locked then return STATUS_LEASE_LOST end
  return STATUS_OK
end

-- Calls `command key ...` with the values of `list`, at most CHUNK at a time (CHUNK is even,
-- so field/value and score/member pairs never split); returns the sum of integer replies.
local function call_chunked(command, key, list)
  local total = 0
  for first = 1, #list, CHUNK do
    local reply = redis.call(command, key, unpack(list, first, math.min(first + CHUNK - 1, #list)))
    if type(reply) == 'number' then total = total + reply end
  end
  return total
end

-- HMGET over `names` in chunks; returns name -> decoded record (absent names map to false).
local function load_records(inst, names)
  local records = {}
  for first = 1, #names, CHUNK do
    local last = math.min(first + CHUNK - 1, #names)
    local values = redis.call('HMGET', inst, unpack(names, first, last))
    for i = first, last do
      local value = values[i - first + 1]
      records[names[i]] = value and read_record(value) or false
    end
  end
  return records
end

-- The earliest score of a sorted set, or nil when it is empty.
local function earliest(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then return tonumber(first[2]) end
  return nil
end

-- Tells every replica (wake.ts) when the partition's earliest ready time became sooner than
-- `before`: "readyAt:tag", the tag being "partition:task". Only then, so the steady stream of
-- claims and later re-scores publishes nothing.
local function wake_if_sooner(due, before, channel, tag)
  local after = earliest(due)
  if after and (before == nil or after < before) then
    redis.call('PUBLISH', channel, string.format('%.0f', after) .. ':' .. tag)
  end
end

-- Tracks the records a script changed, so a batch naming one instance twice sees its own
-- writes, and writes every change once at the end (flush).
local function new_changes()
  return { order = {}, value = {} }
end

local function record_change(changes, name, r)
  if changes.value[name] == nil then changes.order[#changes.order + 1] = name end
  changes.value[name] = r
end

-- Writes the changes: HSET and ZADD the kept records, HDEL and ZREM the deleted ones (false).
local function flush(due, inst, changes)
  local fields, scores, gone = {}, {}, {}
  for _, name in ipairs(changes.order) do
    local r = changes.value[name]
    if r then
      fields[#fields + 1] = name
      fields[#fields + 1] = r.encoded or write_record(r)
      scores[#scores + 1] = ready_at(r)
      scores[#scores + 1] = name
    else
      gone[#gone + 1] = name
    end
  end
  if #fields > 0 then
    call_chunked('HSET', inst, fields)
    call_chunked('ZADD', due, scores)
  end
  if #gone > 0 then
    call_chunked('HDEL', inst, gone)
    call_chunked('ZREM', due, gone)
  end
end

