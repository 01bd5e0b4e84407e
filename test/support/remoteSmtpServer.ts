import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

import { NetworkNamespace } from './networkNamespace';

/** What the server in the namespace saw: each connection, login and sender, as it happened. */
export type RemoteEvent = { event: 'connect' } | { event: 'auth'; method: string } | { event: 'mailFrom'; address: string } | { event: 'message' };

/**
 * A plain SMTP server (no STARTTLS, AUTH LOGIN/PLAIN) on another host as far as the node can tell:
 * it runs in a network namespace of its own, reached over a veth pair at 10.213.x.2, so the node
 * sees an address that is not this computer's loopback. Needs root and iproute2; the namespace
 * and both veth ends are removed on close.
 */
export class RemoteSmtpServer {
	readonly events: RemoteEvent[] = [];

	private constructor(
		readonly host: string,
		readonly port: number,
		private readonly network: NetworkNamespace,
		private readonly child: ChildProcess,
	) {}

	static async start(user: string, password: string): Promise<RemoteSmtpServer> {
		const network = NetworkNamespace.create();
		const { name: namespace, address: host } = network;
		const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', serverScript(host, user, password)], {
			stdio: ['ignore', 'pipe', 'inherit'],
			detached: true,
		});
		const lines = createInterface({ input: child.stdout! });
		const server = await new Promise<RemoteSmtpServer>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('the SMTP server in the namespace did not start within 10 s')), 10_000);
			child.once('exit', (code) => reject(new Error(`the SMTP server in the namespace exited with ${code}`)));
			lines.once('line', (line) => {
				clearTimeout(timer);
				resolve(new RemoteSmtpServer(host, (JSON.parse(line) as { port: number }).port, network, child));
			});
		});
		lines.on('line', (line) => server.events.push(JSON.parse(line) as RemoteEvent));
		return server;
	}

	count(event: RemoteEvent['event']): number {
		return this.events.filter((entry) => entry.event === event).length;
	}

	async close(): Promise<void> {
		const exited = new Promise((resolve) => this.child.once('exit', resolve));
		try {
			process.kill(-this.child.pid!, 'SIGKILL');
		} catch {
			// Already gone.
		}
		await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
		this.network.remove();
	}
}

/** The server's program: smtp-server from this repository, one JSON line per event on stdout. */
function serverScript(host: string, user: string, password: string): string {
	const smtpServer = require.resolve('smtp-server');
	return `
const { SMTPServer } = require(${JSON.stringify(smtpServer)});
const say = (event) => process.stdout.write(JSON.stringify(event) + '\\n');
const server = new SMTPServer({
	secure: false,
	disabledCommands: ['STARTTLS'],
	authMethods: ['PLAIN', 'LOGIN'],
	allowInsecureAuth: true,
	onConnect: (session, callback) => { say({ event: 'connect' }); callback(); },
	onAuth: (auth, session, callback) => {
		say({ event: 'auth', method: auth.method });
		callback(auth.username === ${JSON.stringify(user)} && auth.password === ${JSON.stringify(password)} ? null : new Error('bad login'), { user: auth.username });
	},
	onMailFrom: (address, session, callback) => { say({ event: 'mailFrom', address: address.address }); callback(); },
	onData: (stream, session, callback) => { stream.resume(); stream.on('end', () => { say({ event: 'message' }); callback(); }); },
});
server.listen(0, ${JSON.stringify(host)}, () => say({ port: server.server.address().port }));
`;
}
