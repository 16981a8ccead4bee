import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import {
  type DataType,
  OPCUACertificateManager,
  OPCUAServer,
  type StatusCode,
  StatusCodes,
  type UAVariable,
  Variant,
  VariantArrayType,
} from 'node-opcua';

export interface TestVariable {
  /** Identifier in the server's own namespace (ns=1), e.g. `elevator-1.floor`. */
  name: string;
  dataType: DataType;
  value: number | boolean | string | [number, number];
  statusCode?: StatusCode;
  sourceTimestamp?: Date;
}

export interface OpcuaTestServer {
  endpoint: string;
  port: number;
  /** Sets a variable's value (and optionally status and source timestamp) while running. */
  set(name: string, value: number | boolean | string, statusCode?: StatusCode, sourceTimestamp?: Date): void;
  close(): Promise<void>;
}

/**
 * A real node-opcua server on a free loopback port with the given variables in namespace 1, as
 * `ns=1;s=<name>`. Its PKI lives in a temporary folder removed by `close()`.
 */
export async function startOpcuaTestServer(
  variables: readonly TestVariable[],
  options: {
    port?: number;
    operationLimits?: { maxNodesPerRead?: number; maxMonitoredItemsPerCall?: number };
  } = {},
): Promise<OpcuaTestServer> {
  const port = options.port ?? (await getPort({ host: '127.0.0.1' }));
  const pki = await mkdtemp(path.join(os.tmpdir(), 'caretaker-opcua-server-'));
  const managers = ['own', 'user'].map(
    (name) =>
      new OPCUACertificateManager({
        rootFolder: path.join(pki, name),
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
      }),
  );
  const [serverCertificateManager, userCertificateManager] = managers as [
    OPCUACertificateManager,
    OPCUACertificateManager,
  ];
  const server = new OPCUAServer({
    port,
    hostname: '127.0.0.1',
    serverCertificateManager,
    userCertificateManager,
    buildInfo: { productName: 'caretaker-gateway-test' },
    ...(options.operationLimits === undefined
      ? {}
      : { serverCapabilities: { operationLimits: options.operationLimits } }),
  });
  const nodes = new Map<string, { node: UAVariable; dataType: DataType }>();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.shutdown(0);
    for (const manager of managers) await manager.dispose();
    await rm(pki, { recursive: true, force: true });
  };
  try {
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    if (addressSpace === null) throw new Error('OPC UA test server has no address space');
    const namespace = addressSpace.getOwnNamespace();
    const device = namespace.addObject({
      browseName: 'TestDevice',
      organizedBy: addressSpace.rootFolder.objects,
    });
    for (const variable of variables) {
      const node = namespace.addVariable({
        componentOf: device,
        browseName: variable.name,
        nodeId: `s=${variable.name}`,
        dataType: variable.dataType,
      });
      node.setValueFromSource(
        new Variant({
          dataType: variable.dataType,
          arrayType: VariantArrayType.Scalar,
          value: variable.value,
        }),
        variable.statusCode ?? StatusCodes.Good,
        variable.sourceTimestamp ?? new Date(),
      );
      nodes.set(variable.name, { node, dataType: variable.dataType });
    }
    await server.start();
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return {
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    port,
    set(name, value, statusCode = StatusCodes.Good, sourceTimestamp = new Date()) {
      const entry = nodes.get(name);
      if (entry === undefined) throw new Error(`no variable ${name}`);
      entry.node.setValueFromSource(
        new Variant({ dataType: entry.dataType, arrayType: VariantArrayType.Scalar, value }),
        statusCode,
        sourceTimestamp,
      );
    },
    close,
  };
}
