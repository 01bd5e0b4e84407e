const PROPERTY_NAME = /^[\p{L}\p{N}_.-]+$/u;

/** The Attachments parameter is not a list of property names: a configuration error. */
export class PropertyListError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PropertyListError';
	}
}

/** Reads "data, payslip" into property names; throws on a list a clerk mistyped. */
export function parsePropertyList(text: string, field = 'Attachments'): string[] {
	if (!text.trim()) return [];
	const names = text.split(',').map((name) => name.trim());
	const bad = names.find((name) => !PROPERTY_NAME.test(name));
	if (bad !== undefined) {
		throw new PropertyListError(
			`${field}: "${text}" is not a comma-separated list of binary property names` +
				(bad ? ` ("${bad}" is not a property name)` : ' (an entry is empty)'),
		);
	}
	return names;
}
