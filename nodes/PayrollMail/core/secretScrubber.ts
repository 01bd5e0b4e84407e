/**
 * Removes the run's secrets from every text that leaves the node: output `mail` fields, error
 * messages, log lines, the credential test's answer. A server or a token endpoint can echo a
 * secret in any form it handled it in, so each secret is looked for as:
 * - its text, JSON-escaped, URL-encoded (RFC 3986 and form style, either hex case) and in hex;
 * - base64 (standard and URL-safe) at each of the three byte alignments it can have inside a
 *   longer encoded string: SASL PLAIN (`\0user\0password`), XOAUTH2 (`user=…\x01auth=Bearer
 *   token…`), or whatever a server wraps it in. Only the characters that the secret alone
 *   determines are looked for; a hit removes the whole base64 run around them, so no partial
 *   character is left to narrow the secret down.
 */
export class SecretScrubber {
	private literals: string[] = [];

	private base64Cores: string[] = [];

	private readonly secrets: string[] = [];

	constructor(
		secrets: ReadonlyArray<string | undefined> = [],
		/** Whole strings made of secrets, such as the SASL PLAIN string, looked for as they are. */
		private readonly composites: readonly string[] = [],
	) {
		this.learn(...secrets);
	}

	/** Adds secrets found on the way, such as an access token obtained during the run. */
	learn(...secrets: Array<string | undefined>): void {
		const fresh = secrets.filter((secret): secret is string => !!secret && !this.secrets.includes(secret));
		if (!fresh.length && this.literals.length) return;
		this.secrets.push(...fresh);
		const literals = new Set<string>();
		for (const secret of this.secrets) for (const form of textForms(secret)) literals.add(form);
		for (const composite of this.composites) {
			literals.add(Buffer.from(composite).toString('base64'));
			literals.add(Buffer.from(composite).toString('base64url'));
		}
		// Longest first, so that a form containing another is removed whole.
		this.literals = [...literals].sort((a, b) => b.length - a.length);
		this.base64Cores = [...new Set(this.secrets.flatMap(base64Cores))];
	}

	/** A scrubber that also knows these secrets, e.g. one item's PDF password. */
	with(...secrets: Array<string | undefined>): SecretScrubber {
		if (!secrets.some((secret) => secret && !this.secrets.includes(secret))) return this;
		return new SecretScrubber([...this.secrets, ...secrets], this.composites);
	}

	scrub(text: string): string {
		let scrubbed = text;
		for (const core of this.base64Cores) scrubbed = removeBase64Runs(scrubbed, core);
		for (const literal of this.literals) {
			if (scrubbed.includes(literal)) scrubbed = scrubbed.split(literal).join(MASK);
		}
		return scrubbed;
	}

	/** Every string inside a JSON-like value, scrubbed; the value itself is not changed. */
	scrubDeep<T>(value: T): T {
		if (typeof value === 'string') return this.scrub(value) as T;
		if (Array.isArray(value)) return value.map((entry: unknown) => this.scrubDeep(entry)) as T;
		if (value && typeof value === 'object') {
			return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, this.scrubDeep(entry)])) as T;
		}
		return value;
	}
}

const MASK = '***';
const BASE64_CHARACTER = /[A-Za-z0-9+/=_-]/;
/** Fewer certain characters than this would match ordinary text. */
const MIN_CORE = 4;

function textForms(secret: string): string[] {
	const uri = encodeURIComponent(secret);
	const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
	const form = new URLSearchParams({ s: secret }).toString().slice(2);
	const hex = Buffer.from(secret).toString('hex');
	return [
		secret,
		JSON.stringify(secret).slice(1, -1),
		uri,
		lowerHex(uri),
		uri.replace(/%20/g, '+'),
		form,
		lowerHex(form),
		...(secret.length >= MIN_CORE ? [hex, hex.toUpperCase()] : []),
	];
}

/**
 * The base64 characters that depend on the secret's bytes alone, for the secret starting 0, 1
 * or 2 bytes into a 3-byte group; in the standard and the URL-safe alphabet.
 */
function base64Cores(secret: string): string[] {
	const bytes = Buffer.from(secret);
	const cores: string[] = [];
	for (let offset = 0; offset < 3; offset++) {
		const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
		const first = Math.ceil((8 * offset) / 6);
		const end = Math.floor((8 * (offset + bytes.length)) / 6);
		const core = encoded.slice(first, end);
		if (core.length >= MIN_CORE) cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
	}
	return cores;
}

function removeBase64Runs(text: string, core: string): string {
	let scrubbed = text;
	// Each pass removes one occurrence and the mask holds no base64 character: bounded by the text.
	for (let at = scrubbed.indexOf(core); at >= 0; at = scrubbed.indexOf(core)) {
		let start = at;
		let end = at + core.length;
		while (start > 0 && BASE64_CHARACTER.test(scrubbed[start - 1])) start--;
		while (end < scrubbed.length && BASE64_CHARACTER.test(scrubbed[end])) end++;
		scrubbed = scrubbed.slice(0, start) + MASK + scrubbed.slice(end);
	}
	return scrubbed;
}
