-- bench/wrk/place.lua: place 3-line orders round-robin over every open
-- table of every bench restaurant (data: rid, tid, token), each with a
-- unique Idempotency-Key.
local lib = dofile(os.getenv("BENCH_WRK") .. "/lib.lua")
local rows, i, tid

function setup(thread) lib.setup(thread) end

function init(args)
   tid = tonumber(wrk.thread:get("tid")) or 0
   rows = lib.rows(nil)
   i = tid * 7919
end

function request()
   i = i + 1
   local r = rows[i % #rows + 1]
   return wrk.format("POST", "/v1/restaurants/" .. r[1] .. "/tables/" ..
      r[2] .. "/orders", {
         ["Authorization"] = "Bearer " .. r[3],
         ["Content-Type"] = "application/json",
         ["Idempotency-Key"] = lib.idem(tid),
      }, lib.order_body(i))
end

done = lib.done
