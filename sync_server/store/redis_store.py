"""Redis store: one store for several server instances.

Each share is two keys with a hash tag, so they live on one cluster slot: ``tsw:{key}:meta`` (a hash with
the claim hash, times, state and wrong proofs; it lives until the tombstone's grace period ends) and
``tsw:{key}:ct`` (the ciphertext; Redis deletes it at the share's expiry). Every change is a Lua script,
which Redis runs atomically in one round trip: a share is never half made, and in a claim the proof check,
the count of wrong proofs and the hand-over with erasure are one step, however many instances claim at once.
"""

from __future__ import annotations

import redis

from .base import (
    MAX_WRONG_PROOFS,
    TOMBSTONE_GRACE_SECONDS,
    ClaimOutcome,
    ShareStatus,
    StoreFull,
    StoreUnavailable,
    effective_state,
)
from .redis_requests import RedisRequests

CREATE = """
redis.call('HSET', KEYS[1], 'claim_hash', ARGV[1], 'created_at', ARGV[2], 'expires_at', ARGV[3], 'state', 'waiting',
  'state_at', '', 'wrong', 0)
redis.call('EXPIREAT', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'EXAT', ARGV[3])
return 1
"""

# A claim, a cancellation and a destruction free memory, so they run when Redis is at its maxmemory too
# (flags=allow-oom, Redis 7 and newer); only creating is refused then.
CLAIM = """#!lua flags=allow-oom
local meta = redis.call('HMGET', KEYS[1], 'claim_hash', 'created_at', 'expires_at', 'state', 'state_at', 'wrong')
local now = tonumber(ARGV[2])
if not meta[1] or now >= tonumber(meta[3]) + tonumber(ARGV[4]) then return {'unknown'} end
local state = meta[4]
if state == 'waiting' and now >= tonumber(meta[3]) then
  redis.call('DEL', KEYS[2])
  return {'gone', 'expired', meta[2], meta[3], meta[3]}
end
if state ~= 'waiting' then return {'gone', state, meta[2], meta[3], meta[5]} end
if meta[1] ~= ARGV[1] then
  local wrong = redis.call('HINCRBY', KEYS[1], 'wrong', 1)
  if wrong >= tonumber(ARGV[3]) then
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[1], 'state', 'destroyed', 'state_at', ARGV[2])
  end
  return {'wrong_proof', tostring(tonumber(ARGV[3]) - wrong)}
end
local ciphertext = redis.call('GET', KEYS[2])
if not ciphertext then return {'gone', 'expired', meta[2], meta[3], meta[3]} end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'state', 'opened', 'state_at', ARGV[2])
return {'ok', ciphertext, meta[2]}
"""

REVOKE = """#!lua flags=allow-oom
local meta = redis.call('HMGET', KEYS[1], 'expires_at', 'state')
if meta[1] and meta[2] == 'waiting' and tonumber(ARGV[1]) < tonumber(meta[1]) then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'state', 'revoked', 'state_at', ARGV[1])
end
return 1
"""


class RedisStore(RedisRequests):
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
        self._create = self.client.register_script(CREATE)
        self._claim = self.client.register_script(CLAIM)
        self._revoke = self.client.register_script(REVOKE)
        self._register_request_scripts()

    @staticmethod
    def _keys(key: str) -> list[str]:
        return [f"tsw:{{{key}}}:meta", f"tsw:{{{key}}}:ct"]

    def _run(self, operation):
        try:
            return operation()
        except redis.OutOfMemoryError:
            # Redis refuses a script that may write, before it runs, once memory is over maxmemory (with the
            # noeviction policy): nothing was written. Only creating can meet this; the rest may run over it.
            raise StoreFull("Redis is at its maxmemory") from None
        except redis.RedisError as error:
            raise StoreUnavailable(f"{type(error).__name__}: {error}") from None

    def create(self, key, ciphertext, claim_hash, now, expires_at):
        arguments = [claim_hash, now, expires_at, expires_at + TOMBSTONE_GRACE_SECONDS, ciphertext]
        self._run(lambda: self._create(keys=self._keys(key), args=arguments))

    def claim(self, key, claim_hash, now):
        result = self._run(
            lambda: self._claim(keys=self._keys(key), args=[claim_hash, now, MAX_WRONG_PROOFS, TOMBSTONE_GRACE_SECONDS])
        )
        kind = result[0].decode()
        if kind == "ok":
            return ClaimOutcome("ok", ciphertext=result[1], created_at=int(result[2]))
        if kind == "wrong_proof":
            return ClaimOutcome("wrong_proof", attempts_left=int(result[1]))
        if kind == "gone":
            state, created_at, expires_at, state_at = (part.decode() for part in result[1:5])
            return ClaimOutcome("gone", status=ShareStatus(state, int(created_at), int(expires_at), int(state_at)))
        return ClaimOutcome("unknown")

    def status(self, key, now):
        meta = self._run(lambda: self.client.hmget(self._keys(key)[0], "created_at", "expires_at", "state", "state_at"))
        if meta[0] is None or now >= int(meta[1]) + TOMBSTONE_GRACE_SECONDS:
            return None
        created_at, expires_at = int(meta[0]), int(meta[1])
        state = effective_state(meta[2].decode(), expires_at, now)
        state_at = expires_at if state == "expired" else (int(meta[3]) if meta[3] else None)
        return ShareStatus(state, created_at, expires_at, state_at)

    def revoke(self, key, now):
        self._run(lambda: self._revoke(keys=self._keys(key), args=[now]))
        return self.status(key, now)

    def purge(self, now):
        return 0  # Redis expires ciphertext and tombstones itself, through each key's TTL

    def fullness(self):
        memory = self._run(lambda: self.client.info("memory"))
        return memory["used_memory"] / memory["maxmemory"] if memory.get("maxmemory") else 0.0

    def ping(self):
        self._run(self.client.ping)
