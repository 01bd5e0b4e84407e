import { createType1Message, createType3Message, parseType2Message } from 'httpntlm/ntlm';
import type { Type2Message } from 'httpntlm/ntlm';
import type { CustomAuthenticationContext } from 'nodemailer/lib/smtp-connection';

export interface NtlmAccount {
	/** Account name; "DOMAIN\user" is split when no domain is given separately. */
	user: string;
	password: string;
	domain: string;
	workstation: string;
}

export type NtlmAuthHandler = (ctx: CustomAuthenticationContext) => Promise<void>;

const CHALLENGE_PREFIX = Buffer.from('NTLMSSP\0\x02\0\0\0', 'latin1');
const NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;

/**
 * nodemailer `customAuth` handler for SASL NTLM as Exchange speaks it (MS-SMTPNTLM).
 *
 * Failures are thrown, so nodemailer rejects the login with the error and appends the server's
 * last reply to its message ("NTLM login failed: 535 5.7.3 Authentication unsuccessful").
 * The messages therefore leave the reply out rather than repeat it, and never carry the
 * password or anything derived from it.
 */
export function ntlmAuthHandler(account: NtlmAccount): NtlmAuthHandler {
	return async (ctx) => {
		const { user, domain, workstation } = accountNames(account);
		const negotiate = withoutScheme(createType1Message({ domain, workstation }));

		let reply = await ctx.sendCommand(`AUTH NTLM ${negotiate}`);
		if (reply.status === 334 && !isChallenge(reply.text)) {
			// A "334 ntlm supported" prompt: the server wants the Type 1 message on its own line.
			reply = await ctx.sendCommand(negotiate);
		}
		if (reply.status !== 334) {
			const offered = ctx.authMethods.join(' ') || 'none';
			throw new Error(`NTLM login refused (mechanisms the server offers: ${offered})`);
		}
		if (!isChallenge(reply.text)) {
			throw new Error('NTLM login failed: the server sent no NTLM challenge');
		}

		const challenge = parseChallenge(reply.text);
		// Without these httpntlm falls back to an NTLMv1 or NTLM2-session response: domains that
		// refuse NTLMv1 reject it, and its DES response can be cracked back to the NT hash.
		if (!(challenge.negotiateFlags & NEGOTIATE_EXTENDED_SESSIONSECURITY) || !challenge.targetInfo) {
			throw new Error('NTLM login stopped: the server offers only NTLMv1, which is not sent');
		}

		const authenticate = withoutScheme(
			createType3Message(challenge, {
				domain,
				workstation,
				username: user,
				password: account.password,
			}),
		);
		const result = await ctx.sendCommand(authenticate);
		if (result.status !== 235) {
			throw new Error('NTLM login failed');
		}
	};
}

function accountNames(account: NtlmAccount): { user: string; domain: string; workstation: string } {
	const separator = account.user.indexOf('\\');
	if (!account.domain && separator > 0) {
		return {
			user: account.user.slice(separator + 1),
			domain: account.user.slice(0, separator),
			workstation: account.workstation,
		};
	}
	return { user: account.user, domain: account.domain, workstation: account.workstation };
}

function withoutScheme(header: string): string {
	return header.replace(/^NTLM /, '');
}

function isChallenge(text: string): boolean {
	return Buffer.from(text.trim(), 'base64')
		.subarray(0, CHALLENGE_PREFIX.length)
		.equals(CHALLENGE_PREFIX);
}

function parseChallenge(text: string): Type2Message {
	let problem: Error | undefined;
	const challenge = parseType2Message(`NTLM ${text.trim()}`, (error) => {
		problem = error;
	});
	if (!challenge) {
		throw new Error(`NTLM login failed: ${problem?.message ?? 'unreadable challenge'}`);
	}
	return challenge;
}
