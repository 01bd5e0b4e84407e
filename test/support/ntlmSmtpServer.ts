import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';

import md4 from 'js-md4';

/**
 * A scripted SMTP server that speaks SASL NTLM the way Exchange does (MS-SMTPNTLM) and checks
 * the client's NTLMv2 response from scratch, sharing no code with the client library.
 */

export interface NtlmServerOptions {
	user: string;
	password: string;
	domain: string;
	/** SASL mechanisms offered in EHLO; default ['NTLM']. */
	authMechanisms?: string[];
	/** Answer "AUTH NTLM <initial response>" with "334 ntlm supported" and wait for the Type 1 again. */
	ignoreInitialResponse?: boolean;
	/** false leaves target info and extended session security out of the challenge (an NTLMv1 server). */
	offerNtlmV2?: boolean;
}

export interface NegotiateSeen {
	flags: number;
	domain: string;
	workstation: string;
}

export interface AuthenticateSeen {
	flags: number;
	user: string;
	domain: string;
	workstation: string;
	lmResponse: Buffer;
	/** 24 bytes for NTLMv1; for NTLMv2 the 16-byte proof followed by the client's blob. */
	ntResponse: Buffer;
	/** The NTLMv2 blob carries the target info this server sent in its challenge. */
	echoedTargetInfo: boolean;
}

export interface AuthAttempt {
	mechanism: string;
	negotiate?: NegotiateSeen;
	authenticate?: AuthenticateSeen;
	succeeded: boolean;
}

export interface ReceivedMail {
	from: string;
	to: string[];
	data: string;
}

export interface NtlmSmtpServer {
	port: number;
	/** One entry per AUTH command, in order. */
	authAttempts: AuthAttempt[];
	/** The verb of every command received (EHLO, AUTH, MAIL, ...), NTLM blobs left out. */
	commands: string[];
	mails: ReceivedMail[];
	close(): Promise<void>;
}

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
const FLAG = {
	unicode: 0x00000001,
	requestTarget: 0x00000004,
	ntlm: 0x00000200,
	alwaysSign: 0x00008000,
	targetTypeDomain: 0x00010000,
	extendedSessionSecurity: 0x00080000,
	targetInfo: 0x00800000,
	negotiate128: 0x20000000,
	negotiate56: 0x80000000,
};
const AV = { eol: 0, nbComputerName: 1, nbDomainName: 2, dnsDomainName: 4 };
const SERVER_NAME = 'EXCHANGE';

type State =
	| { kind: 'command' }
	| { kind: 'awaitNegotiate'; attempt: AuthAttempt }
	| { kind: 'awaitAuthenticate'; attempt: AuthAttempt; challenge: Challenge }
	| { kind: 'data'; envelope: Envelope; lines: string[] };

interface Envelope {
	from: string;
	to: string[];
}

interface Challenge {
	serverChallenge: Buffer;
	targetInfo: Buffer;
	message: Buffer;
}

export async function startNtlmSmtpServer(options: NtlmServerOptions): Promise<NtlmSmtpServer> {
	const mechanisms = options.authMechanisms ?? ['NTLM'];
	const authAttempts: AuthAttempt[] = [];
	const commands: string[] = [];
	const mails: ReceivedMail[] = [];
	const sockets = new Set<Socket>();

	const server = createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => socket.destroy());

		let state: State = { kind: 'command' };
		let authenticated = false;
		let envelope: Envelope | undefined;
		let pending = '';

		const reply = (...lines: string[]) => {
			if (socket.writable) socket.write(lines.map((line) => `${line}\r\n`).join(''));
		};

		const challengeFor = (attempt: AuthAttempt, type1: string): State => {
			attempt.negotiate = parseNegotiate(Buffer.from(type1, 'base64'));
			const challenge = createChallenge(options);
			reply(`334 ${challenge.message.toString('base64')}`);
			return { kind: 'awaitAuthenticate', attempt, challenge };
		};

		const onCommand = (line: string): State => {
			const [verb = '', ...args] = line.split(' ');
			const command = verb.toUpperCase();
			commands.push(command);
			switch (command) {
				case 'EHLO': {
					const auth = mechanisms.length ? [`AUTH ${mechanisms.join(' ')}`] : [];
					const features = ['ntlm.test', ...auth, '8BITMIME'];
					reply(...features.map((text, i) => `250${i === features.length - 1 ? ' ' : '-'}${text}`));
					return state;
				}
				case 'HELO':
				case 'NOOP':
					reply('250 OK');
					return state;
				case 'RSET':
					envelope = undefined;
					reply('250 OK');
					return state;
				case 'AUTH': {
					const attempt: AuthAttempt = {
						mechanism: (args[0] ?? '').toUpperCase(),
						succeeded: false,
					};
					authAttempts.push(attempt);
					if (attempt.mechanism !== 'NTLM' || !mechanisms.includes('NTLM')) {
						reply('504 5.7.4 Unrecognized authentication type');
						return state;
					}
					if (args[1] && !options.ignoreInitialResponse) return challengeFor(attempt, args[1]);
					reply('334 ntlm supported');
					return { kind: 'awaitNegotiate', attempt };
				}
				case 'MAIL':
					if (!authenticated) {
						reply('530 5.7.1 Client was not authenticated');
						return state;
					}
					envelope = { from: addressIn(line), to: [] };
					reply('250 2.1.0 Sender OK');
					return state;
				case 'RCPT':
					if (!envelope) {
						reply('503 5.5.2 Need mail command');
						return state;
					}
					envelope.to.push(addressIn(line));
					reply('250 2.1.5 Recipient OK');
					return state;
				case 'DATA':
					if (!envelope?.to.length) {
						reply('503 5.5.2 Need rcpt command');
						return state;
					}
					reply('354 Start mail input; end with <CRLF>.<CRLF>');
					return { kind: 'data', envelope, lines: [] };
				case 'QUIT':
					reply('221 2.0.0 Service closing transmission channel');
					socket.end();
					return state;
				default:
					reply('500 5.3.3 Unrecognized command');
					return state;
			}
		};

		const onLine = (line: string): State => {
			switch (state.kind) {
				case 'command':
					return onCommand(line);
				case 'awaitNegotiate':
					if (line === '*') return cancelled();
					return challengeFor(state.attempt, line);
				case 'awaitAuthenticate': {
					if (line === '*') return cancelled();
					const { attempt, challenge } = state;
					const seen = parseAuthenticate(Buffer.from(line, 'base64'), challenge.targetInfo);
					attempt.authenticate = seen;
					attempt.succeeded =
						seen !== undefined && verifyAuthenticate(seen, challenge.serverChallenge, options);
					authenticated = attempt.succeeded;
					reply(
						attempt.succeeded
							? '235 2.7.0 Authentication successful'
							: '535 5.7.3 Authentication unsuccessful',
					);
					return { kind: 'command' };
				}
				case 'data':
					if (line !== '.') {
						// RFC 5321 4.5.2: the client doubled every leading dot.
						state.lines.push(line.startsWith('.') ? line.slice(1) : line);
						return state;
					}
					mails.push({
						...state.envelope,
						data: Buffer.from(state.lines.join('\r\n'), 'latin1').toString('utf8'),
					});
					envelope = undefined;
					reply('250 2.6.0 Queued mail for delivery');
					return { kind: 'command' };
			}
		};

		const cancelled = (): State => {
			reply('501 5.7.0 Authentication cancelled');
			return { kind: 'command' };
		};

		socket.on('data', (chunk: Buffer) => {
			pending += chunk.toString('latin1');
			let end: number;
			while ((end = pending.indexOf('\r\n')) >= 0) {
				const line = pending.slice(0, end);
				pending = pending.slice(end + 2);
				state = onLine(line);
			}
		});

		reply('220 ntlm.test Microsoft ESMTP MAIL Service ready');
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});

	return {
		port: (server.address() as AddressInfo).port,
		authAttempts,
		commands,
		mails,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}

/**
 * MS-NLMP 3.3.2: NTOWFv2 = HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPER(user) + domain)),
 * NTProofStr = HMAC-MD5(NTOWFv2, serverChallenge + blob), and the NT response is NTProofStr + blob.
 * The user and domain are the ones the AUTHENTICATE message names, as a domain controller uses them.
 */
export function ntlmV2ProofMatches(
	password: string,
	user: string,
	domain: string,
	serverChallenge: Buffer,
	ntResponse: Buffer,
): boolean {
	if (ntResponse.length <= 24) return false;
	const ntHash = Buffer.from(md4.array(Buffer.from(password, 'utf16le')));
	const ntowfV2 = hmacMd5(ntHash, Buffer.from(user.toUpperCase() + domain, 'utf16le'));
	const blob = ntResponse.subarray(16);
	const proof = hmacMd5(ntowfV2, Buffer.concat([serverChallenge, blob]));
	return timingSafeEqual(proof, ntResponse.subarray(0, 16));
}

function verifyAuthenticate(
	seen: AuthenticateSeen,
	serverChallenge: Buffer,
	account: NtlmServerOptions,
): boolean {
	// Windows looks accounts up case-insensitively; the proof uses the names as sent.
	return (
		seen.user.toUpperCase() === account.user.toUpperCase() &&
		seen.domain.toUpperCase() === account.domain.toUpperCase() &&
		ntlmV2ProofMatches(account.password, seen.user, seen.domain, serverChallenge, seen.ntResponse)
	);
}

function createChallenge(options: NtlmServerOptions): Challenge {
	const serverChallenge = randomBytes(8);
	const offerV2 = options.offerNtlmV2 ?? true;
	const targetName = Buffer.from(options.domain.toUpperCase(), 'utf16le');
	const targetInfo = offerV2
		? Buffer.concat([
				avPair(AV.nbDomainName, options.domain.toUpperCase()),
				avPair(AV.nbComputerName, SERVER_NAME),
				avPair(AV.dnsDomainName, `${options.domain.toLowerCase()}.test`),
				avPair(AV.eol, ''),
			])
		: Buffer.alloc(0);
	let flags =
		FLAG.unicode |
		FLAG.requestTarget |
		FLAG.ntlm |
		FLAG.alwaysSign |
		FLAG.targetTypeDomain |
		FLAG.negotiate128 |
		FLAG.negotiate56;
	if (offerV2) flags |= FLAG.extendedSessionSecurity | FLAG.targetInfo;

	const header = Buffer.alloc(48);
	SIGNATURE.copy(header);
	header.writeUInt32LE(2, 8);
	writeField(header, 12, targetName.length, 48);
	header.writeUInt32LE(flags >>> 0, 20);
	serverChallenge.copy(header, 24);
	writeField(header, 40, targetInfo.length, 48 + targetName.length);
	return {
		serverChallenge,
		targetInfo,
		message: Buffer.concat([header, targetName, targetInfo]),
	};
}

function parseNegotiate(type1: Buffer): NegotiateSeen | undefined {
	if (!isMessage(type1, 1, 32)) return undefined;
	// Type 1 names are always OEM (MS-NLMP 2.2.1.1).
	return {
		flags: type1.readUInt32LE(12),
		domain: bytes(type1, 16).toString('latin1'),
		workstation: bytes(type1, 24).toString('latin1'),
	};
}

function parseAuthenticate(type3: Buffer, targetInfo: Buffer): AuthenticateSeen | undefined {
	if (!isMessage(type3, 3, 64)) return undefined;
	const flags = type3.readUInt32LE(60);
	const ntResponse = bytes(type3, 20);
	// The blob's AV pairs follow the 16-byte proof and 28 bytes of fixed fields (MS-NLMP 2.2.2.7).
	const echoed = ntResponse.subarray(44, 44 + targetInfo.length);
	return {
		flags,
		user: field(type3, 36, flags),
		domain: field(type3, 28, flags),
		workstation: field(type3, 44, flags),
		lmResponse: bytes(type3, 12),
		ntResponse,
		echoedTargetInfo: targetInfo.length > 0 && echoed.equals(targetInfo),
	};
}

function isMessage(message: Buffer, type: number, minLength: number): boolean {
	return (
		message.length >= minLength &&
		message.subarray(0, 8).equals(SIGNATURE) &&
		message.readUInt32LE(8) === type
	);
}

/** The payload a security buffer (length, allocated length, offset) points at. */
function bytes(message: Buffer, fieldOffset: number): Buffer {
	const length = message.readUInt16LE(fieldOffset);
	const offset = message.readUInt32LE(fieldOffset + 4);
	return message.subarray(offset, offset + length);
}

function field(message: Buffer, fieldOffset: number, flags: number): string {
	return bytes(message, fieldOffset).toString(flags & FLAG.unicode ? 'utf16le' : 'latin1');
}

function writeField(message: Buffer, fieldOffset: number, length: number, offset: number): void {
	message.writeUInt16LE(length, fieldOffset);
	message.writeUInt16LE(length, fieldOffset + 2);
	message.writeUInt32LE(offset, fieldOffset + 4);
}

function avPair(id: number, value: string): Buffer {
	const data = Buffer.from(value, 'utf16le');
	const pair = Buffer.alloc(4);
	pair.writeUInt16LE(id, 0);
	pair.writeUInt16LE(data.length, 2);
	return Buffer.concat([pair, data]);
}

function hmacMd5(key: Buffer, data: Buffer): Buffer {
	return createHmac('md5', key).update(data).digest();
}

function addressIn(line: string): string {
	return /<([^>]*)>/.exec(line)?.[1] ?? '';
}
