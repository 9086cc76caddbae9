-- Differential test of the sandbox's pattern functions: run by both the
-- stock Lua 5.4 interpreter and clustersim, the output must be identical
-- (tests/strlib.t). Cases are drawn from a fixed LCG, not math.random, so
-- both interpreters see the same ones.
local state = 12345
local function rnd(n)
  state = (state * 1103515245 + 12345) % 2147483648
  return state % n + 1
end
local atoms = { "a", "b", ".", "%a", "%d", "%s", "%w", "%A", "[ab]", "[^a]", "[a-c]", "[%d_]", "[]]", "%%",
                "%.", "x", "(", ")", "()", "%1", "%b()", "%f[%w]", "^", "$", "*", "+", "-", "?", "[", "%" }
local chars = { "a", "b", "c", "1", "2", " ", "_", "(", ")", ".", "%", "x", "]" }
local function gen(list, n)
  local t = {}
  for i = 1, rnd(n) do t[i] = list[rnd(#list)] end
  return table.concat(t)
end
local function show(ok, ...)
  local out = { tostring(ok) }
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "string" then v = string.format("%q", v) end
    out[#out + 1] = tostring(v)
  end
  return table.concat(out, " ")
end
local fixed = {
  { "hello world", "o w" }, { "hello world", "(o)(r)" }, { "key = value", "(%w+)%s*=%s*(%w+)" },
  { "THE (quick) fox", "%((%a+)%)" }, { "f(a(b)c)d", "%b()" }, { "THE (quick) fox", "%f[%a]%a+" },
  { "aaab", "a-b" }, { "aaab", "^a*" }, { "abc", "()b()" }, { "abcabc", "(abc)%1" }, { "x$y", "$y" },
  { "", "" }, { "abc", "" }, { "a.b", ".", 1, true }, { "a+b", "+", 1, true }, { "abc", "b", -1 },
  { "abc", "b", -2 }, { "abc", "c", 10 }, { "abc", "[a", 1 }, { "abc", "%", 1 }, { "abc", "(()" },
  { "abc", "%2" }, { "abc", "%f" }, { "abc", "%bx" }, { "]", "[]]" }, { "a-b", "[a%-]+" },
}
for _, c in ipairs(fixed) do
  print("find", show(pcall(string.find, c[1], c[2], c[3], c[4])))
  print("match", show(pcall(string.match, c[1], c[2], c[3])))
  print("gsub", show(pcall(string.gsub, c[1], c[2], "<%0>")))
  local ok, it = pcall(string.gmatch, c[1], c[2])
  if ok then
    local got = {}
    local ok2, err = pcall(function() for a, b in it do got[#got + 1] = tostring(a) .. "/" .. tostring(b) end end)
    print("gmatch", ok2, ok2 and table.concat(got, ",") or err)
  end
end
print("gsub fn", string.gsub("hello world", "%w+", function(w) return w:upper() end))
print("gsub tbl", string.gsub("$name is $age", "%$(%w+)", { name = "ann", age = 7 }))
print("gsub n", string.gsub("aaaa", "a", "b", 2))
print("gsub false", string.gsub("abc", "%w", function(c) if c == "b" then return false end return "X" end))
print("gsub pos", string.gsub("abc", "()", "%1"))
print("gsub anchor", string.gsub("aaa", "^a", "b"))
print("gsub bad", pcall(string.gsub, "abc", "b", "%9"))
print("gsub badpct", pcall(string.gsub, "abc", "b", "%x"))
print("gsub badval", pcall(string.gsub, "abc", "b", function() return {} end))
print("gmatch init", (function() local t = {} for w in string.gmatch("one two three", "%a+", 5) do t[#t+1] = w end return table.concat(t, ",") end)())
print("gmatch empty", (function() local t = {} for w in string.gmatch("abc", "x*") do t[#t+1] = "[" .. w .. "]" end return table.concat(t) end)())
print("method", ("a,b,,c"):gsub(",", ";"))
for i = 1, 3000 do
  local s, p = gen(chars, 12), gen(atoms, 6)
  local init = rnd(5) - 2
  print(i, "find", show(pcall(string.find, s, p, init)))
  print(i, "match", show(pcall(string.match, s, p)))
  print(i, "gsub", show(pcall(string.gsub, s, p, "%0%0")))
end
