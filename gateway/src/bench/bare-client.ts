/**
 * The benchmark's baseline: a bare modbus-serial client making the same reads as the gateway
 * (one connection per unit, one read of `registers` holding registers every `period` ms), and
 * nothing else: no decoding, no spool, no MQTT. Run by gateway.bench.ts in its own process.
 *
 *   node --import tsx gateway/src/bench/bare-client.ts <host:port> <units> <registers> <period-ms>
 */
import modbusSerial from 'modbus-serial';

const ModbusRTU = modbusSerial as unknown as typeof modbusSerial.default;
const [endpoint = '127.0.0.1:502', units = '1', registers = '1', period = '1000'] = process.argv.slice(2);
const [host = '127.0.0.1', port = '502'] = endpoint.split(':');

for (let unit = 1; unit <= Number(units); unit++) {
  const client = new ModbusRTU();
  await client.connectTCP(host, { port: Number(port) });
  client.setID(unit);
  client.setTimeout(1000);
  const poll = async () => {
    const started = performance.now();
    await client.readHoldingRegisters(0, Number(registers)).catch(() => {});
    setTimeout(poll, Math.max(0, Number(period) - (performance.now() - started)));
  };
  void poll();
}
process.on('SIGTERM', () => process.exit(0));
