/**
 * The bench's SMTP sink, in its own process so that receiving mail neither shares the sender's
 * event loop nor counts in its memory. Plain SMTP on 127.0.0.1, no TLS, no login; it counts
 * connections and bytes, notes when each message has arrived, and throws the data away.
 * Driven by its parent over IPC: `open` starts a fresh server, `close` ends it and reports.
 *
 * smtp-server holds back its greeting for 100 ms on every new connection, to catch clients that
 * talk too soon (lib/smtp-connection.js, `init`). That is smtp-server's behaviour as shipped and
 * the bench keeps it by default; with `--no-greeting-delay` the sink greets at once, so a client
 * that opens one connection per mail pays only what connecting itself costs.
 */
import { SMTPServer } from 'smtp-server';

import type { SinkReport, SinkRequest, SinkResponse } from './smtpSink';

if (process.argv.includes('--no-greeting-delay')) {
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module, without types
	const { SMTPConnection } = require('smtp-server/lib/smtp-connection') as {
		SMTPConnection: { prototype: { init(): void } };
	};
	SMTPConnection.prototype.init = function (this: { _setListeners(ready: () => void): void; connectionReady(): void }) {
		this._setListeners(() => this.connectionReady());
	};
}

let current: { server: SMTPServer; report: SinkReport; cpu: NodeJS.CpuUsage } | undefined;

function reply(response: SinkResponse): void {
	process.send?.(response);
}

async function open(): Promise<number> {
	const report: SinkReport = { connections: 0, messages: 0, bytes: 0, arrivals: [], cpuMs: 0 };
	const server = new SMTPServer({
		disabledCommands: ['STARTTLS', 'AUTH'],
		authOptional: true,
		disableReverseLookup: true,
		logger: false,
		// Nothing waits long for a client that does not say QUIT.
		closeTimeout: 2_000,
		onConnect(_session, callback) {
			report.connections += 1;
			callback();
		},
		onData(stream, _session, callback) {
			stream.on('data', (chunk: Buffer) => {
				report.bytes += chunk.length;
			});
			stream.on('end', () => {
				report.messages += 1;
				report.arrivals.push(Date.now());
				callback();
			});
		},
	});
	server.on('error', () => undefined);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	current = { server, report, cpu: process.cpuUsage() };
	return (server as unknown as { server: { address(): { port: number } } }).server.address().port;
}

async function close(): Promise<SinkReport> {
	if (!current) throw new Error('no sink is open');
	const { server, report, cpu } = current;
	current = undefined;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	const { user, system } = process.cpuUsage(cpu);
	return { ...report, cpuMs: Math.round((user + system) / 1000) };
}

process.on('message', (request: SinkRequest) => {
	const handle = request.command === 'open' ? open().then((port) => ({ port })) : close().then((report) => ({ report }));
	handle.then(
		(result) => reply({ id: request.id, ...result }),
		(error: Error) => reply({ id: request.id, error: error.message }),
	);
});
process.on('disconnect', () => process.exit(0));
reply({ id: 0, ready: true });
