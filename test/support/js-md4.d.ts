// js-md4 ships no types; the NTLM test server needs only its one-shot digest.
declare module 'js-md4' {
	const md4: {
		/** The 16 digest bytes. */
		array(message: string | Uint8Array): number[];
	};
	export = md4;
}
