-- bench/wrk/lib.lua: what every scenario script shares (issue 7).
--
-- The harness writes a tab-separated data file per scenario and passes
-- its path in BENCH_DATA; BENCH_RUN is a run id that makes
-- Idempotency-Keys unique across runs.  Each wrk thread gets its own id
-- (set in setup) and takes every n-th line, so threads never share an
-- order.  done() prints one machine-readable line for the harness.

local M = {}
local threads = {}
local nthreads = 0

function M.split(line)
   local t = {}
   for f in string.gmatch(line, "[^\t]+") do t[#t + 1] = f end
   return t
end

-- Rows of the data file; in a thread, only this thread's share.
function M.rows(id, n)
   local rows, i = {}, 0
   local path = os.getenv("BENCH_DATA")
   if path == nil then return rows end
   for line in io.lines(path) do
      if id == nil or i % n == id then rows[#rows + 1] = M.split(line) end
      i = i + 1
   end
   return rows
end

function M.setup(thread)
   thread:set("tid", nthreads)
   nthreads = nthreads + 1
   threads[#threads + 1] = thread
end

function M.nthreads() return nthreads end

function M.done(summary, latency, requests)
   local e = summary.errors
   local exhausted = 0
   for _, t in ipairs(threads) do
      exhausted = exhausted + (tonumber(t:get("exhausted")) or 0)
   end
   io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
      "max_us=%d status_errors=%d connect=%d read=%d write=%d " ..
      "timeout=%d exhausted=%d\n",
      summary.requests, summary.duration, latency:percentile(50),
      latency:percentile(99), latency.max, e.status, e.connect, e.read,
      e.write, e.timeout, exhausted))
end

-- An Idempotency-Key no other request of any run has used.
local seq = 0
function M.idem(tid)
   seq = seq + 1
   return string.format("bench-%s-%d-%d", os.getenv("BENCH_RUN") or "x",
                        tid, seq)
end

-- A 3-line order body over the seeded items itm_001..itm_039.
function M.order_body(k)
   local a, b, c = k % 13 + 1, k % 13 + 14, (k * 7) % 13 + 27
   return string.format(
      '{"lines":[{"itemId":"itm_%03d","quantity":2},' ..
      '{"itemId":"itm_%03d","quantity":1,"notes":"no onions"},' ..
      '{"itemId":"itm_%03d","quantity":3}],"note":"bench"}', a, b, c)
end

return M
