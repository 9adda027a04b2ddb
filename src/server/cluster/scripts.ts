/**
 * The Lua scripts that change the room in Redis. Each runs atomically: a join checks the
 * nickname room-wide, counts and appends in one step, so no two join notices carry the
 * same count. Every entry records the id of the entry before it (`prev`), so a reader
 * knows for certain when entries it never read were trimmed away.
 *
 * Appends are idempotent: each server numbers its events (seq), and a script applies event
 * n only after n-1; a repeat (a reply lost with the connection, then sent again) is
 * answered without appending twice, and an event whose predecessor never arrived is
 * refused, so the server sends everything again in order.
 */

/** Shared head of the append scripts: the sequence check and the append with its `prev`. KEYS[applied], KEYS[last], KEYS[stream] by name. */
const APPEND = `
local function sequence(applied_key, server, seq)
  local applied = tonumber(redis.call('HGET', applied_key, server)) or 0
  seq = tonumber(seq)
  if seq <= applied then return 'dup' end
  if applied ~= 0 and seq ~= applied + 1 then return 'gap' end
  redis.call('HSET', applied_key, server, seq)
  return 'new'
end
local function append(stream, last, maxlen, fields)
  local prev = redis.call('GET', last) or '0-0'
  local id = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'prev', prev, unpack(fields))
  redis.call('SET', last, id)
  return id
end
`;

/**
 * KEYS: stream nicks applied last members servers. ARGV: server seq maxlen member nick key
 * port. Returns {'ok', id}, {'taken'}, or {'unlisted'}: this server is not registered (the
 * others took it for dead, or Redis lost its data), so a member it added now would be one
 * nobody takes out if it stays unlisted.
 */
export const JOIN = `${APPEND}
local s = sequence(KEYS[3], ARGV[1], ARGV[2])
local owner = ARGV[1] .. ' ' .. ARGV[4]
if s == 'gap' then return redis.error_reply('GAP out of order') end
if s == 'dup' then
  local raw = redis.call('HGET', KEYS[5], ARGV[4])
  if raw and redis.call('HGET', KEYS[2], ARGV[6]) == owner then return {'ok', cjson.decode(raw).id} end
  if redis.call('SISMEMBER', KEYS[6], ARGV[1]) == 0 then return {'unlisted'} end
  return {'taken'}
end
if redis.call('SISMEMBER', KEYS[6], ARGV[1]) == 0 then return {'unlisted'} end
if redis.call('HSETNX', KEYS[2], ARGV[6], owner) == 0 then return {'taken'} end
local count = redis.call('HLEN', KEYS[2])
local id = append(KEYS[1], KEYS[4], ARGV[3], {'type', 'join', 'server', ARGV[1], 'member', ARGV[4], 'nick', ARGV[5], 'port', ARGV[7], 'count', count})
redis.call('HSET', KEYS[5], ARGV[4], cjson.encode({nick = ARGV[5], key = ARGV[6], port = ARGV[7], id = id}))
return {'ok', id}
`;

/**
 * Several chat lines of one server, in order, in one call. KEYS: stream applied last
 * members. ARGV: server maxlen n, then for each line: seq member nick port text. Returns
 * one answer per line ('ok', 'dup', or 'gone': its member was taken out); an error when a
 * line's predecessor never arrived (the lines before it are kept: sent again, they are
 * answered 'dup').
 */
export const LINES = `
local stream, applied_key, last_key, members = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local server, maxlen, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
local applied = tonumber(redis.call('HGET', applied_key, server)) or 0
local prev = redis.call('GET', last_key) or '0-0'
local first_prev = prev
local answers = {}
local function keep()
  if prev ~= first_prev then redis.call('SET', last_key, prev) end
  if applied ~= 0 then redis.call('HSET', applied_key, server, applied) end
end
for i = 0, n - 1 do
  local at = 4 + i * 5
  local seq = tonumber(ARGV[at])
  if seq <= applied then
    answers[#answers + 1] = 'dup'
  elseif applied ~= 0 and seq ~= applied + 1 then
    keep()
    return redis.error_reply('GAP out of order')
  else
    applied = seq
    local member = ARGV[at + 1]
    if redis.call('HEXISTS', members, member) == 0 then
      answers[#answers + 1] = 'gone'
    else
      prev = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'prev', prev, 'type', 'line', 'server', server, 'member', member, 'nick', ARGV[at + 2], 'port', ARGV[at + 3], 'text', ARGV[at + 4])
      answers[#answers + 1] = 'ok'
    end
  end
end
keep()
return answers
`;

/** KEYS: stream nicks applied last members. ARGV: server seq maxlen member. Returns 'ok', 'dup' or 'gone'. */
export const LEAVE = `${APPEND}
local s = sequence(KEYS[3], ARGV[1], ARGV[2])
if s == 'gap' then return redis.error_reply('GAP out of order') end
if s == 'dup' then return 'dup' end
local raw = redis.call('HGET', KEYS[5], ARGV[4])
if not raw then return 'gone' end
local m = cjson.decode(raw)
redis.call('HDEL', KEYS[5], ARGV[4])
if redis.call('HGET', KEYS[2], m.key) == ARGV[1] .. ' ' .. ARGV[4] then redis.call('HDEL', KEYS[2], m.key) end
local count = redis.call('HLEN', KEYS[2])
append(KEYS[1], KEYS[4], ARGV[3], {'type', 'leave', 'server', ARGV[1], 'member', ARGV[4], 'nick', m.nick, 'port', m.port, 'count', count})
return 'ok'
`;

/** KEYS: servers alive last. ARGV: server ttl. Registers the server; returns the id of the last entry ('0-0' for none). */
export const REGISTER = `
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return redis.call('GET', KEYS[3]) or '0-0'
`;

/** KEYS: servers alive. ARGV: server ttl. Returns 1, or 0 when the server was taken for dead (and its members out). */
export const HEARTBEAT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return 1
`;

/**
 * ARGV: prefix maxlen me force. Every registered server whose heartbeat key has expired
 * (or the server named by force: one that shuts down) is taken out once: a leave entry for
 * each of its members, with the count, in the order they joined; then its records go.
 * Returns {server, members, server, members, ...} for those taken out.
 */
export const REAP = `${APPEND}
local p = ARGV[1]
local stream, nicks, applied, last, servers = p .. 'stream', p .. 'nicks', p .. 'applied', p .. 'last', p .. 'servers'
local reaped = {}
for _, server in ipairs(redis.call('SMEMBERS', servers)) do
  local dead = (server == ARGV[4]) or (server ~= ARGV[3] and redis.call('EXISTS', p .. 'alive:' .. server) == 0)
  if dead then
    local members_key = p .. 'members:' .. server
    local all = redis.call('HGETALL', members_key)
    local members = {}
    for i = 1, #all, 2 do
      local m = cjson.decode(all[i + 1])
      m.member = all[i]
      table.insert(members, m)
    end
    table.sort(members, function(a, b)
      local am, as = string.match(a.id, '(%d+)-(%d+)')
      local bm, bs = string.match(b.id, '(%d+)-(%d+)')
      if #am ~= #bm then return #am < #bm end
      if am ~= bm then return am < bm end
      return tonumber(as) < tonumber(bs)
    end)
    for _, m in ipairs(members) do
      if redis.call('HGET', nicks, m.key) == server .. ' ' .. m.member then redis.call('HDEL', nicks, m.key) end
      local count = redis.call('HLEN', nicks)
      append(stream, last, ARGV[2], {'type', 'leave', 'server', server, 'member', m.member, 'nick', m.nick, 'port', m.port, 'count', count})
    end
    redis.call('DEL', members_key, p .. 'alive:' .. server)
    redis.call('HDEL', applied, server)
    redis.call('SREM', servers, server)
    table.insert(reaped, server)
    table.insert(reaped, #members)
  end
end
return reaped
`;
