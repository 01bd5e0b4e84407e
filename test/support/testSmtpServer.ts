import type { AddressInfo, Server, Socket } from 'node:net';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

import type { KeyPair } from './certificates';

/** A reply the test wants the server to give, e.g. { code: 550, text: '5.1.1 user unknown' }. */
export interface Refusal {
	code: number;
	text: string;
}

export interface TestServerOptions {
	/** starttls: STARTTLS offered (default); none: not offered; implicit: TLS from the first byte. */
	tls?: 'starttls' | 'none' | 'implicit';
	certificate?: KeyPair;
	/** SASL mechanisms offered in EHLO; empty offers no AUTH. */
	authMethods?: string[];
	/** user → password, for PLAIN, LOGIN and CRAM-MD5. */
	users?: Record<string, string>;
	/** user → access token, for XOAUTH2. */
	accessTokens?: Record<string, string>;
	/** For XOAUTH2 instead of `accessTokens`: whether the token is good for the user now. */
	acceptsAccessToken?: (user: string, token: string) => boolean;
	/** Refuse MAIL FROM until the client logged in. */
	authRequired?: boolean;
	/** Leave 8BITMIME out of the EHLO reply, as a 7-bit-only server does. */
	hide8BitMime?: boolean;
	/** Leave SMTPUTF8 out of the EHLO reply, as most servers still do. */
	hideSmtpUtf8?: boolean;
	/** Offer DSN (RFC 3461) in the EHLO reply, as Postfix and Exchange do; smtp-server does not by default. */
	offerDsn?: boolean;
	/** Called for each MAIL FROM; a Refusal refuses the sender. */
	refuseSender?: (address: string) => Refusal | undefined;
	/** Called for each RCPT TO; a Refusal refuses that recipient. */
	refuseRecipient?: (address: string) => Refusal | undefined;
	/** Called once each message has been read; a Refusal is the reply after DATA. */
	refuseMessage?: (raw: Buffer) => Refusal | undefined;
	/** Called for each connection (from 1); a Refusal is the greeting, and the server hangs up. */
	refuseConnection?: (connection: number) => Refusal | undefined;
	/** Called for each connection (from 1); true: never greet it, as a hung server does (released on close). */
	withholdGreeting?: (connection: number) => boolean;
	/** Called as the n-th DATA (from 1, over all sessions) begins; may break the connection. */
	dataFault?: (data: number) => DataFault | undefined;
	/** Called as a session ends: the client said QUIT or hung up. */
	onSessionClosed?: (sessionId: string) => void;
	/** Milliseconds to hold the reply to the n-th DATA (from 1, over all sessions) once the message is read. */
	replyDelayMs?: (data: number) => number;
	/** The text of the 535 after a refused login, e.g. one that echoes what the client sent. */
	authFailureText?: (auth: SMTPServerAuthentication) => string;
	/** The code of a refused login's reply, when not 535 (Microsoft answers 550 5.7.30 to a password). */
	authFailureCode?: number;
	/** The text of the 250 that accepts a message, e.g. one that echoes the login. */
	acceptedText?: (user: string | undefined) => string;
	/**
	 * Called at the points of a message's way where a crash is interesting, with the message's
	 * number (from 1, over all sessions): its MAIL FROM, the first bytes of its DATA, all of it
	 * read (before the reply), and right after the 250.
	 */
	onMessageEvent?: (event: 'mailFrom' | 'dataStarted' | 'dataComplete' | 'accepted', message: number) => void;
}

/**
 * duringData: hang up after the first chunk of the message.
 * beforeReply: take the whole message, then hang up instead of answering 250.
 */
export type DataFault = 'duringData' | 'beforeReply';

export interface AuthAttempt {
	method: string;
	username?: string;
	succeeded: boolean;
}

/** One TCP connection the server accepted, recorded the moment it opens, whatever happens next. */
export interface ConnectionRecord {
	/** From 1, in the order the server accepted them. */
	number: number;
	/** The client's port: one per connection. */
	remotePort: number;
	/** Milliseconds since the epoch. */
	openedAt: number;
}

/** A session that got as far as AUTH or MAIL FROM; `connections` has every connection, these included. */
export interface SessionRecord {
	id: string;
	/** Whether the session was encrypted when the client said MAIL FROM (or logged in). */
	secure: boolean;
	ehloName?: string;
	authAttempts: AuthAttempt[];
	mailFromCount: number;
}

export interface ReceivedMessage {
	sessionId: string;
	from: string;
	to: string[];
	/** The parameters of MAIL FROM as the client wrote them (RET, ENVID, BODY, …). */
	mailFromArgs: Record<string, string>;
	/** The parameters of each RCPT TO (NOTIFY, ORCPT), by recipient. */
	rcptArgs: Record<string, Record<string, string>>;
	raw: Buffer;
	/** Milliseconds since the epoch when the server read the final dot. */
	arrivedAt: number;
	secure: boolean;
	user?: string;
}

/** An in-process smtp-server on 127.0.0.1 that records everything a test may assert. */
export class TestSmtpServer {
	private constructor(
		private readonly server: SMTPServer,
		readonly port: number,
		readonly sessions: Map<string, SessionRecord>,
		readonly messages: ReceivedMessage[],
		/** Every TCP connection, TLS handshakes that failed and greetings refused included. */
		readonly connections: ConnectionRecord[],
		/** Lets go of greetings and replies held back, so that closing does not wait for them. */
		private readonly letGo: () => void = () => undefined,
		private readonly countData: () => number = () => 0,
	) {}

	/** DATA commands so far, over all sessions: how the server numbers messages in its callbacks. */
	get dataCommands(): number {
		return this.countData();
	}

	static async start(options: TestServerOptions = {}): Promise<TestSmtpServer> {
		const sessions = new Map<string, SessionRecord>();
		const messages: ReceivedMessage[] = [];
		let connectionCount = 0;
		let dataCount = 0;
		let mailFromTotal = 0;
		// Greetings withheld from connections; close() lets them go so the server can end.
		const withheld: Array<() => void> = [];
		// Replies held back (replyDelayMs), by session: dropped when the client hangs up or the server
		// closes, so no timer outlives the test that made it.
		const heldReplies = new Map<NodeJS.Timeout, string>();
		const dropHeldReplies = (sessionId?: string) => {
			for (const [timer, id] of heldReplies) {
				if (sessionId === undefined || id === sessionId) {
					clearTimeout(timer);
					heldReplies.delete(timer);
				}
			}
		};
		// smtp-server gives no handle on a session's socket; its connection objects hold one.
		const hangUp = (sessionId: string) => {
			const connections = (server as unknown as { connections: Set<{ id: string; _socket: Socket }> }).connections;
			[...connections].find((connection) => connection.id === sessionId)?._socket.destroy();
		};
		const record = (session: SMTPServerSession) => sessionRecord(sessions, session);
		const mode = options.tls ?? 'starttls';
		const authMethods = options.authMethods ?? ['PLAIN', 'LOGIN'];

		const serverOptions: SMTPServerOptions = {
			secure: mode === 'implicit',
			key: options.certificate?.key,
			cert: options.certificate?.cert,
			authMethods,
			// Hiding STARTTLS is not enough: smtp-server would still honour the command.
			disabledCommands: [...(authMethods.length ? [] : ['AUTH']), ...(mode === 'none' ? ['STARTTLS'] : [])],
			authOptional: !options.authRequired,
			hide8BITMIME: options.hide8BitMime,
			hideSMTPUTF8: options.hideSmtpUtf8,
			hideDSN: !options.offerDsn,
			allowInsecureAuth: true,
			disableReverseLookup: true,
			logger: false,
			onConnect(_session, callback) {
				const connection = ++connectionCount;
				if (options.withholdGreeting?.(connection)) {
					withheld.push(() => callback(withCode(new Error('4.3.2 Shutting down'), 421)));
					return;
				}
				const refusal = options.refuseConnection?.(connection);
				callback(refusal ? withCode(new Error(refusal.text), refusal.code) : undefined);
			},
			onAuth(auth, session, callback) {
				const attempt: AuthAttempt = { method: auth.method, username: auth.username, succeeded: false };
				record(session).authAttempts.push(attempt);
				const user = auth.username ?? '';
				const password = options.users?.[user];
				const ok =
					auth.method === 'XOAUTH2'
						? options.acceptsAccessToken
							? options.acceptsAccessToken(user, auth.accessToken ?? '')
							: options.accessTokens?.[user] !== undefined && options.accessTokens[user] === auth.accessToken
						: password !== undefined &&
							(auth.method === 'CRAM-MD5' ? auth.validatePassword(password) : auth.password === password);
				attempt.succeeded = ok;
				if (ok) return callback(null, { user });
				const failureText = options.authFailureText?.(auth) ?? '5.7.8 Authentication credentials invalid';
				if (auth.method === 'XOAUTH2' && !options.authFailureText) return callback(null, { data: { status: '401', schemes: 'bearer' } });
				callback(withCode(new Error(failureText), options.authFailureCode ?? 535));
			},
			onClose(session) {
				dropHeldReplies(session.id);
				options.onSessionClosed?.(session.id);
			},
			onMailFrom(address, session, callback) {
				const entry = record(session);
				entry.mailFromCount += 1;
				entry.secure = session.secure;
				options.onMessageEvent?.('mailFrom', ++mailFromTotal);
				const refusal = options.refuseSender?.(address.address);
				callback(refusal ? withCode(new Error(refusal.text), refusal.code) : undefined);
			},
			onRcptTo(address, _session, callback) {
				const refusal = options.refuseRecipient?.(address.address);
				callback(refusal ? withCode(new Error(refusal.text), refusal.code) : undefined);
			},
			onData(stream, session, callback) {
				const dataNumber = ++dataCount;
				const fault = options.dataFault?.(dataNumber);
				const chunks: Buffer[] = [];
				stream.on('data', (chunk: Buffer) => {
					if (chunks.length === 0) options.onMessageEvent?.('dataStarted', dataNumber);
					chunks.push(chunk);
					if (fault === 'duringData') hangUp(session.id);
				});
				stream.on('end', () => {
					const raw = Buffer.concat(chunks);
					if (fault === 'duringData') return;
					const refusal = options.refuseMessage?.(raw);
					if (refusal) return callback(withCode(new Error(refusal.text), refusal.code));
					messages.push({
						sessionId: session.id,
						from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
						to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
						mailFromArgs: envelopeArgs(session.envelope.mailFrom),
						rcptArgs: Object.fromEntries(session.envelope.rcptTo.map((rcpt) => [rcpt.address, envelopeArgs(rcpt)])),
						raw,
						arrivedAt: Date.now(),
						secure: session.secure,
						user: session.user as string | undefined,
					});
					options.onMessageEvent?.('dataComplete', dataNumber);
					if (fault === 'beforeReply') return hangUp(session.id);
					const delayMs = options.replyDelayMs?.(dataNumber) ?? 0;
					const accepted = () => {
						callback(null, options.acceptedText?.(session.user as string | undefined));
						options.onMessageEvent?.('accepted', dataNumber);
					};
					if (delayMs <= 0) return accepted();
					const held = setTimeout(() => {
						heldReplies.delete(held);
						accepted();
					}, delayMs);
					heldReplies.set(held, session.id);
				});
			},
		};
		const server = new SMTPServer(serverOptions);
		// smtp-server reports client-side disconnects as errors; they are part of the tests.
		server.on('error', () => undefined);
		// The listening net.Server (a tls.Server with implicit TLS, which reports the TCP connection
		// before its handshake): a connection is recorded before smtp-server sees it.
		const connections: ConnectionRecord[] = [];
		const listener = (server as unknown as { server: Server }).server;
		listener.on('connection', (socket: Socket) => {
			connections.push({ number: connections.length + 1, remotePort: socket.remotePort ?? 0, openedAt: Date.now() });
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (listener.address() as AddressInfo).port;
		return new TestSmtpServer(
			server,
			port,
			sessions,
			messages,
			connections,
			() => {
				withheld.splice(0).forEach((release) => release());
				dropHeldReplies();
			},
			() => dataCount,
		);
	}

	/** Every AUTH attempt over all sessions, in order. */
	authAttempts(): AuthAttempt[] {
		return [...this.sessions.values()].flatMap((session) => session.authAttempts);
	}

	mailFromCount(): number {
		return [...this.sessions.values()].reduce((sum, session) => sum + session.mailFromCount, 0);
	}

	async close(): Promise<void> {
		this.letGo();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}

function sessionRecord(sessions: Map<string, SessionRecord>, session: SMTPServerSession): SessionRecord {
	let entry = sessions.get(session.id);
	if (!entry) {
		entry = {
			id: session.id,
			secure: session.secure,
			ehloName: session.hostNameAppearsAs,
			authAttempts: [],
			mailFromCount: 0,
		};
		sessions.set(session.id, entry);
	}
	entry.secure = entry.secure || session.secure;
	return entry;
}

function withCode(error: Error, responseCode: number): Error {
	return Object.assign(error, { responseCode });
}

/** smtp-server's parameters of an envelope address, as strings (a parameter without value is `true`). */
function envelopeArgs(address: false | { args?: unknown }): Record<string, string> {
	const args = (address ? address.args : undefined) as Record<string, unknown> | false | undefined;
	return Object.fromEntries(Object.entries(args || {}).map(([name, value]) => [name.toUpperCase(), String(value)]));
}
