--[[
  common.lua: the pieces every script shares. scripts.ts prepends this file to each script
  when it loads them, so they are written once and never pasted.

  The instance record (documented field by field in record-codec.ts) starts with the fields
  the scripts read and rewrite, at fixed offsets, in the struct layout HEADER:
    format, nextRunAt, lockedUntil, version, attempt, incarnation, createdAt, owner length
  then the lease owner, then the tail the scripts never look into.

  A paused record (issue 14) has the format byte RECORD_FORMAT_PAUSED, or
  RECORD_FORMAT_DEAD_LETTERED when its retry policy parked it, and a pause section between the
  owner and the tail, in the struct layout PAUSE (pausedAt, note length) followed by the note.
  It is never in `due`: every script that writes a record asks indexed_score, which answers
  false for a paused one, and flush keeps it out of the sorted set. Active records are exactly
  as before, byte for byte. Scripts carry a pause as one string (pause_of, new_pause): the
  format byte, then the section, so every rewrite keeps which kind of pause it is.

  A record with a manual run (issue 14: a trigger or backfill) sets MANUAL_FLAG in its format
  byte and carries a manual section after the pause section (if any), in the struct layout
  MANUAL (state, kind, first, end, resume, id length) followed by the request id. Every
  rewrite carries it (rebuild, pack_record's `manual`); manual.lua writes it, commit.lua arms a
  queued one and ends a finished one (manual_committed), an upsert FORCE drops it. A record
  never triggered is byte for byte as before.

  The scripts test the format byte with comparisons and arithmetic, never bit.band: a C call
  per test showed as about a tenth of an execution's instructions (bench/tools/redis-script-cost.ts).

  Lease status codes, shared by commit, release and extend:
    0 ok, 1 lease lost (version moved on or the lease expired), 2 not found (instance or
    incarnation gone)
]]
local RECORD_FORMAT = 1
local RECORD_FORMAT_PAUSED = 2
local RECORD_FORMAT_DEAD_LETTERED = 3
-- The format byte's low bits (FORMAT_MASK) say active, paused or dead-lettered; MANUAL_FLAG, a
-- manual section. The flag is the only high bit, so base_format subtracts it.
local FORMAT_MASK = 15
local MANUAL_FLAG = 16
-- The manual section: state, kind, first, end, resume, id length; the id follows.
local MANUAL = '<BBi6i6i6B'
local MANUAL_FIXED = 21 -- the bytes of MANUAL
local MANUAL_WAITING, MANUAL_ARMED, MANUAL_DONE = 1, 2, 3
-- The pause section of a paused record: pausedAt, note length; the note follows.
local PAUSE = '<i6I2'
local PAUSE_FIXED = 8 -- the bytes of PAUSE
-- The fixed header, up to and including the owner length byte.
local HEADER = '<Bi6i6I4I2I6i6B'
local OWNER_AT = 32 -- 1-based position of the owner length byte
local MAX_ATTEMPT = 65535
local VERSION_MODULUS = 4294967296 -- version is 4 bytes; it wraps rather than overflows
-- Arguments per Redis call: Lua's unpack() is bounded by its C stack (about 8000 values).
local CHUNK = 1000

local STATUS_OK, STATUS_LEASE_LOST, STATUS_NOT_FOUND = 0, 1, 2

-- One lease of a release or extend batch, packed by scripts.ts (packLeaseItems): name length
-- and name, lease version, lease incarnation (doubles, as the lease id carried them), and one
-- number (release: retryAt, 0 for at once; extend: the duration in ms).
local LEASE_ITEM = '<I4c0ddd'

-- The items of a packed lease batch, as parallel lists.
local function unpack_leases(packed)
  local names, versions, incarnations, values = {}, {}, {}, {}
  local pos = 1
  while pos <= #packed do
    local n = #names + 1
    names[n], versions[n], incarnations[n], values[n], pos = struct.unpack(LEASE_ITEM, packed, pos)
  end
  return names, versions, incarnations, values
end

--[[
  Records stay encoded strings: a script unpacks the header fields it needs and packs a new
  header in front of the untouched rest, with no table per record (this is the hot path of
  every claim and commit).
]]

-- The header of a record: next, locked, version, attempt, incarnation, created, owner length,
-- and whether it is paused.
local function header(record)
  local format, next_run, locked, version, attempt, incarnation, created, owner_length =
    struct.unpack(HEADER, record)
  if format >= MANUAL_FLAG then format = format - MANUAL_FLAG end
  if format ~= RECORD_FORMAT and format ~= RECORD_FORMAT_PAUSED and format ~= RECORD_FORMAT_DEAD_LETTERED then
    error('partitura: unknown record format ' .. tostring(format))
  end
  return next_run, locked, version, attempt, incarnation, created, owner_length, format ~= RECORD_FORMAT
end

-- Whether `record` is paused (or dead-lettered), from its format byte alone.
local function is_paused(record)
  local format = string.byte(record, 1)
  return format ~= RECORD_FORMAT and format ~= RECORD_FORMAT + MANUAL_FLAG
end

-- Whether `record` carries a manual section, from its format byte alone.
local function has_manual(record)
  return string.byte(record, 1) >= MANUAL_FLAG
end

-- The format byte of `record` without MANUAL_FLAG: active, paused or dead-lettered.
local function base_format(record)
  local format = string.byte(record, 1)
  if format >= MANUAL_FLAG then return format - MANUAL_FLAG end
  return format
end

-- The pause of `record` as scripts carry it (its format byte, then PAUSE and the note), or ''
-- when it is active.
local function pause_of(record, owner_length)
  if not is_paused(record) then return '' end
  local at = OWNER_AT + 1 + owner_length
  local _, note_length = struct.unpack(PAUSE, record, at)
  return string.char(base_format(record))
    .. string.sub(record, at, at + PAUSE_FIXED + note_length - 1)
end

-- The bytes a carried pause takes in the record (its section, without the format byte).
local function pause_length(pause)
  if pause == '' then return 0 end
  return #pause - 1
end

-- A pause as scripts carry it: paused at `now` with `note`; `format` RECORD_FORMAT_PAUSED
-- (the default) or RECORD_FORMAT_DEAD_LETTERED.
local function new_pause(now, note, format)
  return string.char(format or RECORD_FORMAT_PAUSED) .. struct.pack(PAUSE, now, #note) .. note
end

-- The lease owner stored in `record`, whose header said `owner_length`.
local function owner_of(record, owner_length)
  return string.sub(record, OWNER_AT + 1, OWNER_AT + owner_length)
end

-- The manual section of `record` (MANUAL and the id), or '' when it has none; `pause` is its
-- pause as pause_of carries it.
local function manual_at(record, owner_length, pause)
  if not has_manual(record) then return '' end
  local at = OWNER_AT + 1 + owner_length + pause_length(pause)
  local id_length = select(6, struct.unpack(MANUAL, record, at))
  return string.sub(record, at, at + MANUAL_FIXED + id_length - 1)
end

-- A manual section from its fields.
local function pack_manual(state, kind, first, last, resume, id)
  return struct.pack(MANUAL, state, kind, first, last, resume, #id) .. id
end

-- The fields of a manual section: state, kind, first, end, resume, id.
local function unpack_manual(manual)
  local state, kind, first, last, resume = struct.unpack(MANUAL, manual)
  return state, kind, first, last, resume, string.sub(manual, MANUAL_FIXED + 1)
end

--[[
  A commit of a record carrying `manual` (transitions.ts committed): a manual run the lease
  finished becomes done; a queued one is armed now, the instance running its first manual
  slot next and resuming afterwards at `next_run`. Returns the new section, the slot to store
  and whether a queued run was armed (then the slot is due at once, unheld).
]]
local function manual_committed(manual, next_run, finish)
  local state, kind, first, last, resume, id = unpack_manual(manual)
  if finish and state == MANUAL_ARMED then state, resume = MANUAL_DONE, 0 end
  if state ~= MANUAL_WAITING then return pack_manual(state, kind, first, last, resume, id), next_run, false end
  return pack_manual(MANUAL_ARMED, kind, first, last, next_run, id), first, true
end

-- The sections of `record` after its owner, each found once: its pause (as pause_of carries
-- it), its manual section, and its tail (the spec bytes the scripts never look into).
local function sections_of(record, owner_length)
  local pause = pause_of(record, owner_length)
  local manual = manual_at(record, owner_length, pause)
  return pause, manual, string.sub(record, OWNER_AT + 1 + owner_length + pause_length(pause) + #manual)
end

-- A record from its header fields, its lease owner ('' for none), its tail, its pause as
-- pause_of carries it (nil or '' for an active record) and its manual section (nil or '' for
-- none). The one place a header is packed.
local function pack_record(next_run, locked, version, attempt, incarnation, created, owner, tail, pause, manual)
  local format, section = RECORD_FORMAT, ''
  if pause and pause ~= '' then format, section = string.byte(pause, 1), string.sub(pause, 2) end
  if manual and manual ~= '' then format = format + MANUAL_FLAG else manual = '' end
  return struct.pack(HEADER, format, next_run, locked, version, attempt, incarnation, created, #owner)
    .. owner .. section .. manual .. tail
end

-- `record` with a new header, paused or not and with its manual section as it was; `owner`
-- nil keeps the stored owner, '' clears it.
local function rebuild(record, owner_length, next_run, locked, version, attempt, incarnation, created, owner)
  if owner == nil then owner = owner_of(record, owner_length) end
  if string.byte(record, 1) == RECORD_FORMAT then
    -- Active without a manual run, the common case: the tail follows the owner.
    return pack_record(next_run, locked, version, attempt, incarnation, created, owner,
      string.sub(record, OWNER_AT + 1 + owner_length))
  end
  local pause, manual, tail = sections_of(record, owner_length)
  return pack_record(next_run, locked, version, attempt, incarnation, created, owner, tail, pause, manual)
end

-- A new record around `tail` (the spec bytes written by record-codec.ts), unlocked or held
-- until `hold` (its first slot's jitter; 0 for none).
local function new_record(next_run, hold, incarnation, created, tail)
  return pack_record(next_run, hold, 0, 0, incarnation, created, '', tail)
end

local function bump(version)
  return (version + 1) % VERSION_MODULUS
end

-- The ready time, the score in `due`: a claim may take the instance at or after it.
local function ready_at(next_run, locked)
  if locked > next_run then return locked end
  return next_run
end

-- The score a record is kept at in `due`: its ready time, or false when it is paused (out of
-- `due`: never claimed, never counted due).
local function indexed_score(paused, next_run, locked)
  if paused then return false end
  return ready_at(next_run, locked)
end

-- Whether a lease ending at `locked` is live at `now`: up to and including its last
-- millisecond (transitions.ts leaseStatus; test/store-redis-layout.test.ts checks they agree).
local function lease_live(locked, now)
  return now <= locked
end

-- Whether a SAFE upsert finds the record held by a worker (transitions.ts isLeased): an owner,
-- and a lease that ends after `now`.
local function is_leased(owner_length, locked, now)
  return owner_length > 0 and locked > now
end

-- lease_status from the header fields of a stored record, for a script that unpacked them.
local function lease_status_of(locked, stored_version, stored_incarnation, version, incarnation, now)
  if stored_incarnation ~= incarnation then return STATUS_NOT_FOUND end
  if stored_version ~= version or not lease_live(locked, now) then return STATUS_LEASE_LOST end
  return STATUS_OK
end

-- Whether the lease (version, incarnation) may still settle or extend the record at `now`.
local function lease_status(record, version, incarnation, now)
  if not record then return STATUS_NOT_FOUND end
  local _, locked, stored_version, _, stored_incarnation = header(record)
  return lease_status_of(locked, stored_version, stored_incarnation, version, incarnation, now)
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

-- HMGET over `names` in chunks; returns name -> record (absent names map to false).
local function load_records(inst, names)
  local records = {}
  for first = 1, #names, CHUNK do
    local last = math.min(first + CHUNK - 1, #names)
    local values = redis.call('HMGET', inst, unpack(names, first, last))
    for i = first, last do
      local value = values[i - first + 1]
      records[names[i]] = value or false
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
  return { order = {}, record = {}, score = {} }
end

-- Notes the new `record` of `name` (false: deleted) and its score (false: not in `due`).
local function record_change(changes, name, record, score)
  if changes.record[name] == nil then changes.order[#changes.order + 1] = name end
  changes.record[name] = record
  changes.score[name] = score
end

-- Writes the changes: HSET the kept records and ZADD those with a score, HDEL the deleted
-- ones, and ZREM what is deleted or has no score (paused).
local function flush(due, inst, changes)
  local fields, scores, gone, unindexed = {}, {}, {}, {}
  for _, name in ipairs(changes.order) do
    local record = changes.record[name]
    if record then
      fields[#fields + 1] = name
      fields[#fields + 1] = record
      local score = changes.score[name]
      if score then
        scores[#scores + 1] = score
        scores[#scores + 1] = name
      else
        unindexed[#unindexed + 1] = name
      end
    else
      gone[#gone + 1] = name
      unindexed[#unindexed + 1] = name
    end
  end
  if #fields > 0 then call_chunked('HSET', inst, fields) end
  if #scores > 0 then call_chunked('ZADD', due, scores) end
  if #gone > 0 then call_chunked('HDEL', inst, gone) end
  if #unindexed > 0 then call_chunked('ZREM', due, unindexed) end
end

--[[
  Run history (issue 14): the partition's `runs` hash holds, per instance that ran, its
  counters and recent runs in the layout run-codec.ts states (the head RUNS_HEAD: runs,
  failures, last outcome; then entries newest first, each a u16 length and its bytes, which
  TypeScript encodes and Lua never looks into). record_run is run-codec.ts appendRun.
]]
local RUNS_HEAD = '<I4I4B'
-- The head followed by the length prefix of the newest entry.
local RUNS_HEAD_ENTRY = '<I4I4BI2'
local RUNS_HEAD_BYTES = 9
local COUNTER_MODULUS = 4294967296

-- The history `stored` (false: none yet) after one more run: outcome 1 success or 2 failure,
-- `entry` first, at most `limit` entries kept (0: only the counters). The newest limit - 1
-- stored entries are found by walking their length prefixes in place, and the new value is
-- built by one concatenation: this runs for every commit that records a run.
local function record_run(stored, outcome, limit, entry)
  local runs, failures, kept = 0, 0, ''
  if stored then
    runs, failures = struct.unpack('<I4I4', stored)
    if limit > 1 then
      local pos, size = RUNS_HEAD_BYTES + 1, #stored
      for _ = 2, limit do
        if pos > size then break end
        -- The entry's u16 length, little-endian: string.byte costs a fraction of struct.unpack
        -- (bench/tools/redis-script-cost.ts), and this walk runs up to limit - 1 times a run.
        local low, high = string.byte(stored, pos, pos + 1)
        pos = pos + 2 + low + high * 256
      end
      kept = string.sub(stored, RUNS_HEAD_BYTES + 1, pos - 1)
    end
  end
  runs = (runs + 1) % COUNTER_MODULUS
  if outcome == 2 then failures = (failures + 1) % COUNTER_MODULUS end
  if limit == 0 then return struct.pack(RUNS_HEAD, runs, failures, outcome) end
  return struct.pack(RUNS_HEAD_ENTRY, runs, failures, outcome, #entry) .. entry .. kept
end

-- Records the runs of a batch in the `runs` hash: `order` lists the names of the settled items
-- that carried a run and `items` their positions in the batch, whose `outcomes`, `limits` and
-- `entries` describe each run; `gone` lists instances deleted (their history goes with them).
-- One HMGET, one HSET, one HDEL; the values are used in reply order, never keyed by name again.
local function flush_runs(runs_key, order, items, outcomes, limits, entries, gone)
  if #order > 0 then
    local fields = {}
    for first = 1, #order, CHUNK do
      local last = math.min(first + CHUNK - 1, #order)
      local stored = redis.call('HMGET', runs_key, unpack(order, first, last))
      for i = first, last do
        local n = items[i]
        fields[#fields + 1] = order[i]
        fields[#fields + 1] = record_run(stored[i - first + 1], outcomes[n], limits[n], entries[n])
      end
    end
    call_chunked('HSET', runs_key, fields)
  end
  if #gone > 0 then call_chunked('HDEL', runs_key, gone) end
end
