--[[
  remove: deletes instances of one partition at once, leased or not.

  KEYS[1]  the partition's `due` sorted set
  KEYS[2]  the partition's `inst` hash
  KEYS[3]  the partition's `runs` hash: their run history goes with them
  ARGV     the instance names

  Returns how many of the named instances existed.
]]
local removed = call_chunked('HDEL', KEYS[2], ARGV)
call_chunked('ZREM', KEYS[1], ARGV)
call_chunked('HDEL', KEYS[3], ARGV)
return removed
