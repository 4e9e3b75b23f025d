classdef Host < pyacq.Proxy
%HOST  A Host server (a `pyacq-host` process or a Python host_server) a manager spawns node
%   groups on; returned by pyacq.Manager/addHost and given to createNodeGroup. Generic remote
%   access (call, attr, json ...) as pyacq.Proxy.

  methods
    function obj = Host(handle, owner)
      if nargin < 2
        owner = [];
      end
      obj.init(handle, owner, 'host');
    end

    function a = address(obj)
    %ADDRESS  The address the host's RPC server is reached at.
      ref = jsondecode(obj.json());
      a = ref.rpc_addr;
    end
  end
end
