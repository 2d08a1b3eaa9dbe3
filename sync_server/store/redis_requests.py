"""Therapists' requests in the Redis store: the scripts, and the methods ``RedisStore`` takes from here.

A request is two keys on one cluster slot: ``tsw:{key}:request`` (a hash with the public key, limits, times,
count and state; it lives until the tombstone's grace period ends) and ``tsw:{key}:answers`` (a hash of the
sealed answers, ``ct:N`` and ``at:N`` for the Nth; Redis deletes it a week after the newest answer, or at the
request's expiry if sooner). Accepting an answer is one script: the state, the count and the store are checked
and changed in one step. Redis 7.0 cannot expire one field of a hash, so an answer past its time
(``ANSWER_KEPT_SECONDS``) is left out of every read at once and erased by the next answer's script. ``received``
numbers the answers; ``deleted`` counts those the therapist deleted, whose places are open again.
"""

from __future__ import annotations

from .base import (
    ANSWER_KEPT_SECONDS,
    TOMBSTONE_GRACE_SECONDS,
    RequestStatus,
    RespondOutcome,
    StoredResponse,
    kept_since,
    request_state,
)

CREATE_REQUEST = """
redis.call('HSET', KEYS[1], 'public_key', ARGV[1], 'kem', ARGV[2], 'created_at', ARGV[3], 'expires_at', ARGV[4],
  'max', ARGV[5], 'received', 0, 'deleted', 0, 'state', 'open', 'state_at', '')
redis.call('EXPIREAT', KEYS[1], ARGV[6])
return 1
"""

RESPOND = """
local meta = redis.call('HMGET', KEYS[1], 'expires_at', 'max', 'received', 'state', 'deleted')
local now = tonumber(ARGV[2])
if not meta[1] then return {'unknown'} end
-- Answers past their time are erased; the same bytes again (a replay of captured answers, or a retry) take no
-- second place or copy.
for number = 1, tonumber(meta[3]) do
  local at = redis.call('HGET', KEYS[2], 'at:' .. number)
  if at and tonumber(at) <= tonumber(ARGV[3]) then
    redis.call('HDEL', KEYS[2], 'ct:' .. number, 'at:' .. number)
  elseif at and redis.call('HGET', KEYS[2], 'ct:' .. number) == ARGV[1] then
    return {'repeated', number, at}
  end
end
local held = tonumber(meta[3]) - tonumber(meta[5] or 0)
if meta[4] ~= 'open' or now >= tonumber(meta[1]) or held >= tonumber(meta[2]) then return {'gone'} end
local number = redis.call('HINCRBY', KEYS[1], 'received', 1)
redis.call('HSET', KEYS[2], 'ct:' .. number, ARGV[1], 'at:' .. number, ARGV[2])
redis.call('EXPIREAT', KEYS[2], math.min(tonumber(meta[1]), now + tonumber(ARGV[4])))
return {'ok', number}
"""

LIST_ANSWERS = """
local found = {}
local fields = redis.call('HKEYS', KEYS[1])
for _, field in ipairs(fields) do
  if string.sub(field, 1, 3) == 'at:' then
    local number = string.sub(field, 4)
    local at = redis.call('HGET', KEYS[1], field)
    if tonumber(at) > tonumber(ARGV[1]) then
      table.insert(found, {number, at, redis.call('HSTRLEN', KEYS[1], 'ct:' .. number)})
    end
  end
end
return found
"""

# Closing and deleting free memory, so they run when Redis is at its maxmemory too (as claims do). A deleted
# answer gives its place back.
DELETE_ANSWER = """#!lua flags=allow-oom
if redis.call('HDEL', KEYS[2], 'ct:' .. ARGV[1], 'at:' .. ARGV[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'deleted', 1) end
return 1
"""

CLOSE_REQUEST = """#!lua flags=allow-oom
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
if redis.call('HGET', KEYS[1], 'state') ~= 'closed' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'state_at', ARGV[1])
end
return 1
"""


class RedisRequests:
    """Mixed into ``RedisStore``, whose client and error mapping (``_run``) these use."""

    def _register_request_scripts(self) -> None:
        self._create_request = self.client.register_script(CREATE_REQUEST)
        self._respond = self.client.register_script(RESPOND)
        self._list_answers = self.client.register_script(LIST_ANSWERS)
        self._close_request = self.client.register_script(CLOSE_REQUEST)
        self._delete_answer = self.client.register_script(DELETE_ANSWER)

    @staticmethod
    def _request_keys(key: str) -> list[str]:
        return [f"tsw:{{{key}}}:request", f"tsw:{{{key}}}:answers"]

    def create_request(self, key, public_key, kem, max_responses, now, expires_at):
        arguments = [public_key, kem, now, expires_at, max_responses, expires_at + TOMBSTONE_GRACE_SECONDS]
        self._run(lambda: self._create_request(keys=self._request_keys(key), args=arguments))

    def request_status(self, key, now):
        fields = ("state", "public_key", "kem", "created_at", "expires_at", "max", "received", "state_at", "deleted")
        meta = self._run(lambda: self.client.hmget(self._request_keys(key)[0], *fields))
        if meta[0] is None or now >= int(meta[4]) + TOMBSTONE_GRACE_SECONDS:
            return None
        created_at, expires_at, max_responses, numbered = (int(value) for value in meta[3:7])
        received = numbered - int(meta[8] or 0)  # the places taken: deleted answers gave theirs back
        state = request_state(meta[0].decode(), expires_at, received, max_responses, now)
        closed_at = int(meta[7]) if meta[7] else None
        return RequestStatus(state, meta[1], meta[2].decode(), created_at, expires_at, max_responses, received, closed_at)

    def respond(self, key, ciphertext, now):
        arguments = [ciphertext, now, kept_since(now), ANSWER_KEPT_SECONDS]
        result = self._run(lambda: self._respond(keys=self._request_keys(key), args=arguments))
        kind = result[0].decode()
        if kind == "ok":
            return RespondOutcome("ok", number=int(result[1]))
        if kind == "repeated":
            return RespondOutcome("repeated", number=int(result[1]), received_at=int(result[2]))
        if kind == "gone":
            return RespondOutcome("gone", status=self.request_status(key, now))
        return RespondOutcome("unknown")

    def responses(self, key, now):
        status = self.request_status(key, now)
        if status is None or status.state == "expired":
            return []
        found = self._run(lambda: self._list_answers(keys=self._request_keys(key)[1:], args=[kept_since(now)]))
        return sorted(StoredResponse(int(number), int(at), int(size)) for number, at, size in found)

    def response(self, key, number, now):
        status = self.request_status(key, now)
        if status is None or status.state == "expired":
            return None
        ciphertext, at = self._run(lambda: self.client.hmget(self._request_keys(key)[1], f"ct:{number}", f"at:{number}"))
        return (ciphertext, int(at)) if ciphertext is not None and int(at) > kept_since(now) else None

    def delete_response(self, key, number):
        return bool(self._run(lambda: self._delete_answer(keys=self._request_keys(key), args=[number])))

    def close_request(self, key, now):
        self._run(lambda: self._close_request(keys=self._request_keys(key), args=[now]))
        return self.request_status(key, now)
