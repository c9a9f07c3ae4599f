-- bench/wrk/get.lua: GET the paths of the data file in turn (one path
-- per line, optional bearer token after a tab).  Menu reads, floors,
-- and the kitchen queue use it.
local lib = dofile(os.getenv("BENCH_WRK") .. "/lib.lua")
local rows, i

function setup(thread) lib.setup(thread) end

function init(args)
   rows = lib.rows(nil)
   i = tonumber(wrk.thread:get("tid")) or 0
end

function request()
   i = i + 1
   local r = rows[i % #rows + 1]
   local h = {}
   if r[2] ~= nil then h["Authorization"] = "Bearer " .. r[2] end
   return wrk.format("GET", r[1], h)
end

done = lib.done
