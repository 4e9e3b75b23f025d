function value = fromJson(json)
%FROMJSON  Decodes JSON text from libpyacq (internal helper of the pyacq package).
%   libpyacq writes NaN / Infinity / -Infinity as Python's json module does; jsondecode
%   implementations that reject those tokens get them as null instead.
  try
    value = jsondecode(json);
  catch
    value = jsondecode(pyacq.internal.stripNonFinite(json));
  end
end
