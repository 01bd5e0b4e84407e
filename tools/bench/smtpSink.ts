import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** What one fresh sink saw between opening and closing. */
export interface SinkReport {
	/** SMTP connections accepted. */
	connections: number;
	/** Logins accepted (the Internet provider profile; 0 on the LAN relay). */
	logins: number;
	/** Messages taken (250 after DATA). */
	messages: number;
	/** Message bytes received, as on the wire after the dot-unstuffing. */
	bytes: number;
	/** Date.now() as each message's final dot arrived, in arrival order. */
	arrivals: number[];
	/** CPU time the sink process spent while this server was open, in ms. */
	cpuMs: number;
}

/** The account the Internet provider sink takes. */
export const PROVIDER_LOGIN = { user: 'payroll@provider.example', pass: 'bench-password' };

export type SinkRequest = { id: number; command: 'open' | 'close'; port?: number };
export type SinkResponse = { id: number; ready?: boolean; port?: number; report?: SinkReport; error?: string };

/** A fresh SMTP server per measurement: `open` starts one and gives its port, `close` ends it and reports. */
export interface Sink {
	open(port?: number): Promise<number>;
	close(): Promise<SinkReport>;
}

/**
 * Asks a sink over some message channel; the two clients below differ only in the channel.
 * Answers are matched to questions by id.
 */
abstract class SinkClient implements Sink {
	private nextId = 1;

	private readonly waiting = new Map<number, (response: SinkResponse) => void>();

	protected abstract post(request: SinkRequest): void;

	protected answer(response: SinkResponse): void {
		this.waiting.get(response.id)?.(response);
		this.waiting.delete(response.id);
	}

	private async request(command: SinkRequest['command'], port?: number): Promise<SinkResponse> {
		const id = this.nextId++;
		const response = await new Promise<SinkResponse>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`the SMTP sink did not answer "${command}" within 60 s`)), 60_000);
			this.waiting.set(id, (answer) => {
				clearTimeout(timer);
				resolve(answer);
			});
			this.post({ id, command, port });
		});
		if (response.error) throw new Error(`SMTP sink: ${response.error}`);
		return response;
	}

	/** Starts a fresh server with zeroed counters, on `port` if given; returns its port. */
	async open(port?: number): Promise<number> {
		const answer = await this.request('open', port);
		const opened = answer.port;
		if (opened === undefined) throw new Error('the SMTP sink gave no port');
		return opened;
	}

	/** Stops the server (after its clients have hung up, 2 s at most) and says what it saw. */
	async close(): Promise<SinkReport> {
		const { report } = await this.request('close');
		if (!report) throw new Error('the SMTP sink gave no report');
		return report;
	}
}

/** The sink process, seen from the bench. */
export class SmtpSink extends SinkClient {
	private constructor(private readonly child: ChildProcess) {
		super();
		child.on('message', (response: SinkResponse) => this.answer(response));
	}

	/**
	 * `greetingDelay: false` takes out smtp-server's 100 ms wait before it greets a new connection;
	 * `provider` asks for STARTTLS and a login; `namespace` runs the sink in that network namespace,
	 * listening on `host` there; `delayMs` puts a relay in front that delays every chunk each way.
	 */
	static async start(options: { greetingDelay?: boolean; provider?: boolean; namespace?: string; host?: string; delayMs?: number } = {}): Promise<SmtpSink> {
		const sinkArgs = [join(__dirname, 'smtpSinkProcess.ts'), ...(options.greetingDelay === false ? ['--no-greeting-delay'] : [])];
		if (options.provider) sinkArgs.push('--provider');
		if (options.host) sinkArgs.push('--host', options.host);
		if (options.delayMs) sinkArgs.push('--delay-ms', String(options.delayMs));
		const node = [process.execPath, '-r', 'ts-node/register/transpile-only', ...sinkArgs];
		const [command, ...commandArgs] = options.namespace ? ['ip', 'netns', 'exec', options.namespace, ...node] : node;
		const child = spawn(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('the SMTP sink did not start within 60 s')), 60_000);
			child.once('error', reject);
			child.once('exit', (code) => reject(new Error(`the SMTP sink exited with code ${code}`)));
			child.once('message', (response: SinkResponse) => {
				clearTimeout(timer);
				if (response.ready) resolve();
				else reject(new Error('the SMTP sink sent something before it was ready'));
			});
		});
		child.removeAllListeners('exit');
		return new SmtpSink(child);
	}

	protected post(request: SinkRequest): void {
		this.child.send(request);
	}

	stop(): void {
		this.child.disconnect();
	}
}

/** Sink requests a measurement process sends its parent, which owns the sink process. */
type BrokeredRequest = { sinkRequest: SinkRequest };
type BrokeredResponse = { sinkResponse: SinkResponse };

function isRequest(message: unknown): message is BrokeredRequest {
	return typeof message === 'object' && message !== null && 'sinkRequest' in message;
}

function isResponse(message: unknown): message is BrokeredResponse {
	return typeof message === 'object' && message !== null && 'sinkResponse' in message;
}

/** The parent's sink, used from a measurement process over IPC. */
export class RemoteSink extends SinkClient {
	constructor() {
		super();
		process.on('message', (message: unknown) => {
			if (isResponse(message)) this.answer(message.sinkResponse);
		});
	}

	protected post(request: SinkRequest): void {
		process.send?.({ sinkRequest: request } satisfies BrokeredRequest);
	}
}

/**
 * Serves a measurement process's sink requests from `sink`; returns what else the process sent.
 * A server the process left open (it failed) is closed once it has exited.
 */
export async function brokerSink(child: ChildProcess, sink: Sink, onMessage: (message: unknown) => void): Promise<number | null> {
	let open = false;
	child.on('message', (message: unknown) => {
		if (!isRequest(message)) return onMessage(message);
		const { id, command } = message.sinkRequest;
		const answer = command === 'open' ? sink.open().then((port) => ({ port })) : sink.close().then((report) => ({ report }));
		open = command === 'open';
		answer.then(
			(result) => child.send({ sinkResponse: { id, ...result } } satisfies BrokeredResponse),
			(error: Error) => child.send({ sinkResponse: { id, error: error.message } } satisfies BrokeredResponse),
		);
	});
	const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
	if (open) await sink.close().catch(() => undefined);
	return code;
}
