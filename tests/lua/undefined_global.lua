print(no_such_global)
