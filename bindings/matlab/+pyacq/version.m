function v = version()
%VERSION  Version text "MAJOR.MINOR.PATCH" of the loaded libpyacq.
  v = pyacq_mex('version');
end
