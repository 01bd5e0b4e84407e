// httpntlm ships no types. This declares the part of its message module that ntlmAuth.ts uses;
// every message goes in and out as an HTTP header value, "NTLM <base64>".
declare module 'httpntlm/ntlm' {
	export interface NtlmNames {
		domain: string;
		workstation: string;
	}

	export interface NtlmCredentials extends NtlmNames {
		username: string;
		password: string;
	}

	export interface Type2Message {
		negotiateFlags: number;
		serverChallenge: Buffer;
		/** Present only when the server set NTLMSSP_NEGOTIATE_TARGET_INFO. */
		targetInfo?: Buffer;
	}

	export function createType1Message(names: NtlmNames): string;
	/** Reports a malformed message through onError and then returns null. */
	export function parseType2Message(
		header: string,
		onError: (error: Error) => void,
	): Type2Message | null;
	export function createType3Message(challenge: Type2Message, credentials: NtlmCredentials): string;
}
