/**
 * The bench's SMTP sink, in its own process so that receiving mail neither shares the sender's
 * event loop nor counts in its memory. Plain SMTP on 127.0.0.1, no TLS, no login (the LAN relay);
 * with `--provider` STARTTLS (a self-signed certificate) and AUTH LOGIN required, as an Internet
 * provider has them, on the address `--host` gives. It counts connections, logins and bytes,
 * notes when each message has arrived, and throws the data away.
 * Driven by its parent over IPC: `open` starts a fresh server, `close` ends it and reports.
 *
 * smtp-server holds back its greeting for 100 ms on every new connection, to catch clients that
 * talk too soon (lib/smtp-connection.js, `init`). That is smtp-server's behaviour as shipped and
 * the bench keeps it by default; with `--no-greeting-delay` the sink greets at once, so a client
 * that opens one connection per mail pays only what connecting itself costs.
 */
import type { AddressInfo, Server } from 'node:net';
import { parseArgs } from 'node:util';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

import { makeTestCertificates } from '../../test/support/certificates';
import { delayProxy } from './delayProxy';
import { PROVIDER_LOGIN, type SinkReport, type SinkRequest, type SinkResponse } from './smtpSink';

const { values: args } = parseArgs({
	options: {
		'no-greeting-delay': { type: 'boolean', default: false },
		provider: { type: 'boolean', default: false },
		host: { type: 'string', default: '127.0.0.1' },
		// Each way, by a relay in this process, where the kernel has no netem.
		'delay-ms': { type: 'string' },
	},
	strict: true,
});

if (args['no-greeting-delay']) {
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module, without types
	const { SMTPConnection } = require('smtp-server/lib/smtp-connection') as {
		SMTPConnection: { prototype: { init(): void } };
	};
	SMTPConnection.prototype.init = function (this: { _setListeners(ready: () => void): void; connectionReady(): void }) {
		this._setListeners(() => this.connectionReady());
	};
}

let current: { server: SMTPServer; proxy?: Server; report: SinkReport; cpu: NodeJS.CpuUsage } | undefined;

function reply(response: SinkResponse): void {
	process.send?.(response);
}

async function open(port = 0): Promise<number> {
	const report: SinkReport = { connections: 0, logins: 0, messages: 0, bytes: 0, arrivals: [], cpuMs: 0 };
	const server = new SMTPServer({
		...security(() => (report.logins += 1)),
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
	const delayMs = Number(args['delay-ms'] ?? 0);
	await new Promise<void>((resolve) => server.listen(delayMs ? 0 : port, delayMs ? '127.0.0.1' : args.host, resolve));
	const serverPort = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
	if (!delayMs) {
		current = { server, report, cpu: process.cpuUsage() };
		return serverPort;
	}
	const proxy = delayProxy(serverPort, delayMs);
	await new Promise<void>((resolve) => proxy.listen(port, args.host, resolve));
	current = { server, proxy, report, cpu: process.cpuUsage() };
	return (proxy.address() as AddressInfo).port;
}

const certificate = args.provider ? makeTestCertificates().selfSigned : undefined;

function security(onLogin: () => void): SMTPServerOptions {
	if (!certificate) return { disabledCommands: ['STARTTLS', 'AUTH'], authOptional: true };
	return {
		...certificate,
		authMethods: ['LOGIN'],
		// Login only over TLS: the client has to say STARTTLS first.
		allowInsecureAuth: false,
		onAuth(auth, _session, callback) {
			if (auth.username !== PROVIDER_LOGIN.user || auth.password !== PROVIDER_LOGIN.pass) return callback(new Error('Invalid login'));
			onLogin();
			callback(null, { user: auth.username });
		},
	};
}

async function close(): Promise<SinkReport> {
	if (!current) throw new Error('no sink is open');
	const { server, proxy, report, cpu } = current;
	current = undefined;
	proxy?.close();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	const { user, system } = process.cpuUsage(cpu);
	return { ...report, cpuMs: Math.round((user + system) / 1000) };
}

process.on('message', (request: SinkRequest) => {
	const handle = request.command === 'open' ? open(request.port).then((port) => ({ port })) : close().then((report) => ({ report }));
	handle.then(
		(result) => reply({ id: request.id, ...result }),
		(error: Error) => reply({ id: request.id, error: error.message }),
	);
});
process.on('disconnect', () => process.exit(0));
reply({ id: 0, ready: true });
