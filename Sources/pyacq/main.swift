print("pyacq")
