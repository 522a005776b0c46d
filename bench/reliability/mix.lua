-- wrk script: the request mix of bench/reliability (see docs/reliability.md).
--
-- Signed-in sessions and CSRF pairs are made beforehand by cluster.py (Python signs in through
-- nginx) and read from the file named by WRK_SESSIONS, one per line:
--   agent <sessionid>  |  referent <sessionid>  |  csrf <cookie> <form token>
-- Each request is drawn at random from the weighted mix below. At the end, done() prints the
-- answers by status, the requests sent by kind, and the non-2xx/3xx answers second by second
-- (lines STATUS / KIND / SECOND, read by cluster.py).

local mix = {
  -- kind, weight (percent)
  {"mine", 30},          -- agent: Mes référents (/referents/)
  {"home", 5},           -- agent: / (redirects to Mes référents)
  {"search", 20},        -- agent: search in the référents tree
  {"tree", 10},          -- agent: the tree's first level
  {"accounts", 23},      -- référent: the accounts list of the administration
  {"signin_get", 10},    -- anonymous: the sign-in page
  {"signin_post", 2},    -- anonymous: signing in (Argon2: about 250 ms of CPU each)
}
local searches = {"toulouse", "centre hospitalier", "ehpad", "31", "montpellier", "clinique",
                  "34000", "saint", "bordeaux", "unite"}

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
  agents, referents, csrfs = {}, {}, {}
  for line in io.lines(os.getenv("WRK_SESSIONS")) do
    local kind, a, b = line:match("^(%S+) (%S+) ?(%S*)$")
    if kind == "agent" then table.insert(agents, a)
    elseif kind == "referent" then table.insert(referents, a)
    elseif kind == "csrf" then table.insert(csrfs, {a, b}) end
  end
  email = os.getenv("WRK_SIGNIN_EMAIL")
  password = os.getenv("WRK_SIGNIN_PASSWORD")
  origin = wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port
  statuses, kinds, seconds = {}, {}, {}
end

local function pick(list) return list[math.random(#list)] end

local function get(path, session)
  local headers = {}
  if session then headers["Cookie"] = "sessionid=" .. session end
  return wrk.format("GET", path, headers)
end

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

function request()
  local roll, kind = math.random(100), nil
  for _, entry in ipairs(mix) do
    roll = roll - entry[2]
    if roll <= 0 then kind = entry[1] break end
  end
  kind = kind or "mine"
  kinds[kind] = (kinds[kind] or 0) + 1
  if kind == "mine" then return get("/referents/", pick(agents))
  elseif kind == "home" then return get("/", pick(agents))
  elseif kind == "search" then
    return get("/referents/liste/?q=" .. urlencode(pick(searches)), pick(agents))
  elseif kind == "tree" then return get("/referents/liste/", pick(agents))
  elseif kind == "accounts" then return get("/administration/comptes/", pick(referents))
  elseif kind == "signin_get" then return get("/connexion/", nil)
  else
    local pair = pick(csrfs)
    local body = "csrfmiddlewaretoken=" .. urlencode(pair[2]) .. "&username=" .. urlencode(email)
      .. "&password=" .. urlencode(password) .. "&next=" .. urlencode("/referents/?signed-in")
    return wrk.format("POST", "/connexion/", {
      ["Cookie"] = "csrftoken=" .. pair[1],
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Referer"] = origin .. "/connexion/",
      ["Origin"] = origin,
    }, body)
  end
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 302 and (headers["Location"] or ""):find("signed-in", 1, true) then
    statuses["302-signed-in"] = (statuses["302-signed-in"] or 0) + 1
  end
  if status < 200 or status >= 400 then
    local second = os.time() .. " " .. key
    seconds[second] = (seconds[second] or 0) + 1
  end
end

local function add(into, from)
  for k, v in pairs(from) do into[k] = (into[k] or 0) + v end
end

function done(summary, latency, requests)
  local all_statuses, all_kinds, all_seconds = {}, {}, {}
  for _, thread in ipairs(threads) do
    add(all_statuses, thread:get("statuses"))
    add(all_kinds, thread:get("kinds"))
    add(all_seconds, thread:get("seconds"))
  end
  for k, v in pairs(all_statuses) do io.write(string.format("STATUS %s %d\n", k, v)) end
  for k, v in pairs(all_kinds) do io.write(string.format("KIND %s %d\n", k, v)) end
  for k, v in pairs(all_seconds) do io.write(string.format("SECOND %s %d\n", k, v)) end
end
