// libmime ships no types. This declares the one method the tests use: decoding the RFC 2047
// encoded words of a header value, as mail programs do.
declare module 'libmime' {
	const libmime: { decodeWords(value: string): string };
	export default libmime;
}
