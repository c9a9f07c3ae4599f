-- bench/wrk/mixed.lua: a "Friday night" across every bench restaurant.
-- Each group of 20 requests is: 8 menu reads, 3 placements, 3 kitchen
-- queue pages, 2 accept/ready steps, 2 table summaries, 1 order read and
-- 1 payment capture (a menu read while payments are not available).
-- Data rows: kind, then its fields (see bench/run, mixed_data).  An
-- order is made ready once its accept answered ACCEPTED (as in
-- transition.lua).
local lib = dofile(os.getenv("BENCH_WRK") .. "/lib.lua")
local PATTERN = { "menu", "place", "kitchen", "menu", "move", "summary",
   "menu", "place", "get", "menu", "kitchen", "move", "menu", "pay",
   "place", "menu", "summary", "kitchen", "menu", "menu" }
local by, byid, queued, readyq, qh, tid, i, a, p, mv

function setup(thread) lib.setup(thread) end

function init(args)
   local n = tonumber(os.getenv("BENCH_THREADS")) or 2
   tid = tonumber(wrk.thread:get("tid")) or 0
   by = { menu = {}, place = {}, kitchen = {}, summary = {}, get = {},
      move = {}, pay = {} }
   local k = 0
   for _, row in ipairs(lib.rows(nil)) do
      local kind = row[1]
      if kind == "move" or kind == "pay" then
         -- Orders are moved by one thread only.
         if k % n == tid then table.insert(by[kind], row) end
         k = k + 1
      else
         table.insert(by[kind], row)
      end
   end
   byid = {}
   for _, row in ipairs(by.move) do byid[row[3]] = row end
   i, a, p, readyq, qh, queued, mv = tid * 104729, 0, 0, {}, 1, {}, 0
end

local function pick(kind)
   local t = by[kind]
   return t[i % #t + 1]
end

local function bearer(tok) return { ["Authorization"] = "Bearer " .. tok } end

function request()
   i = i + 1
   local kind = PATTERN[i % #PATTERN + 1]
   if kind == "pay" and #by.pay == 0 then kind = "menu" end
   if kind == "menu" then
      return wrk.format("GET", pick("menu")[2])
   elseif kind == "kitchen" or kind == "summary" or kind == "get" then
      local row = pick(kind)
      return wrk.format("GET", row[2], bearer(row[3]))
   elseif kind == "place" then
      local row = pick("place")
      local h = bearer(row[4])
      h["Content-Type"] = "application/json"
      h["Idempotency-Key"] = lib.idem(tid)
      return wrk.format("POST", "/v1/restaurants/" .. row[2] .. "/tables/" ..
         row[3] .. "/orders", h, lib.order_body(i))
   elseif kind == "move" then
      local m = by.move
      mv = mv + 1
      if qh <= #readyq and (mv % 2 == 0 or a >= #m) then
         local row = readyq[qh]
         readyq[qh] = nil
         qh = qh + 1
         return wrk.format("POST", "/v1/orders/" .. row[3] .. "/ready",
            bearer(row[4]))
      elseif a < #m then
         a = a + 1
         return wrk.format("POST", "/v1/orders/" .. m[a][3] .. "/accept",
            bearer(m[a][4]))
      end
      wrk.thread:set("exhausted", 1)
      return wrk.format("POST", "/v1/orders/" .. m[1][3] .. "/accept",
         bearer(m[1][4]))
   else -- pay
      p = p + 1
      if p > #by.pay then
         wrk.thread:set("exhausted", 1)
         p = 1
      end
      local row = by.pay[p]
      local h = bearer(row[4])
      h["Content-Type"] = "application/json"
      h["Idempotency-Key"] = lib.idem(tid)
      return wrk.format("POST", "/v1/orders/" .. row[3] ..
         "/payments:capture", h, '{"method":"CASH"}')
   end
end

function response(status, headers, body)
   if status ~= 200 then return end
   local oid, st = string.match(body, '^{"orderId":"([^"]+)".-"status":"(%u+)"')
   if st == "ACCEPTED" and byid[oid] and not queued[oid] then
      queued[oid] = true
      readyq[#readyq + 1] = byid[oid]
   end
end

done = lib.done
