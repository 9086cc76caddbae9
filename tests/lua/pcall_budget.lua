-- pcall must not swallow the instruction budget: this loop ends.
while true do pcall(function() while true do end end) end
