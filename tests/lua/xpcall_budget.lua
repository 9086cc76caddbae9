-- Nor xpcall, even with a handler that itself never returns.
xpcall(function() while true do end end, function() while true do end end)
