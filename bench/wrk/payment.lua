-- bench/wrk/payment.lua: capture a cash payment on READY orders (data:
-- rid, oid, token, amountCents), one order per request, each with its
-- own Idempotency-Key.  Out of orders: a capture on a PAID order (a 409,
-- counted as an error and reported as exhausted).
local lib = dofile(os.getenv("BENCH_WRK") .. "/lib.lua")
local rows, i, tid

function setup(thread) lib.setup(thread) end

function init(args)
   local n = tonumber(os.getenv("BENCH_THREADS")) or 2
   tid = tonumber(wrk.thread:get("tid")) or 0
   rows = lib.rows(tid, n)
   i = 0
end

function request()
   i = i + 1
   if i > #rows then
      wrk.thread:set("exhausted", 1)
      i = 1
   end
   local row = rows[i]
   return wrk.format("POST", "/v1/orders/" .. row[2] .. "/payments:capture", {
      ["Authorization"] = "Bearer " .. row[3],
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = lib.idem(tid),
   }, '{"method":"CASH"}')
end

done = lib.done
