-- One string.find that backtracks for hours in stock Lua: the budget
-- covers the matcher's steps.
local s = ("a"):rep(40)
print(string.find(s, ("a*"):rep(20) .. "b"))
