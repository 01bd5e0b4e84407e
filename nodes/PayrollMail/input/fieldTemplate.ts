import type { IDataObject } from 'n8n-workflow';

/** Literal text, or the keys of a field of the item: `$json.address.city` is ['address', 'city']. */
type Part = string | readonly string[];

/** What n8n hands over unchanged for an expression that is one field, and writes as `String()` does in text. */
export type FieldValue = string | number | boolean;

/** `$json` and its keys: `.name`, `["any name"]`, `['any name']` or `[0]`; spaces around. */
const FIELD = /^\s*\$json((?:\.[A-Za-z_$][\w$]*|\["[^"\\]*"\]|\['[^'\\]*'\]|\[\d+\])+)\s*$/;
const KEY = /\.([A-Za-z_$][\w$]*)|\["([^"\\]*)"\]|\['([^'\\]*)'\]|\[(\d+)\]/g;

/** Keys that reach an object's prototype; n8n refuses `.constructor` anywhere in an expression. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const CONSTRUCTOR = /\.\s*constructor/;

function fieldKeys(segment: string): string[] | undefined {
	const field = FIELD.exec(segment);
	if (!field) return undefined;
	const keys = [...field[1].matchAll(KEY)].map((key) => key[1] ?? key[2] ?? key[3] ?? key[4]);
	return keys.some((key) => PROTOTYPE_KEYS.has(key)) ? undefined : keys;
}

function fieldValue(json: IDataObject, keys: readonly string[]): FieldValue | undefined {
	let value: unknown = json;
	for (const key of keys) {
		if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
		value = (value as IDataObject)[key];
	}
	if (typeof value === 'string' || typeof value === 'boolean') return value;
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Most expressions a clerk writes only put fields of the employee's item into text:
 * `{{ $json.email }}`, `Your payslip for {{ $json.period }}`. n8n evaluates every one through its
 * expression engine, which in n8n 2.x runs in an isolated V8 and costs about 0.85 ms per
 * evaluation: as much per employee as composing and sending the mail. Such an expression is read
 * here from the item itself, to n8n's result (a test holds the two side by side): the text, or
 * for an expression that is one field alone, the field's value. Anything else (another variable,
 * a function, a field missing or holding no text, finite number or true/false) is n8n's to
 * evaluate: `parse` or `fill` then gives `undefined`.
 */
export class FieldTemplate {
	private constructor(private readonly parts: readonly Part[]) {}

	/** The template of a parameter's saved value, if it is an expression of this kind. */
	static parse(saved: unknown): FieldTemplate | undefined {
		if (typeof saved !== 'string' || !saved.startsWith('=') || CONSTRUCTOR.test(saved)) return undefined;
		const parts: Part[] = [];
		let rest = saved.slice(1);
		while (rest) {
			const open = rest.indexOf('{{');
			const text = open < 0 ? rest : rest.slice(0, open);
			// A stray brace pair or a backslash (an escape, to n8n's template engine) is n8n's to read.
			if (text.includes('}}') || text.includes('\\')) return undefined;
			if (text) parts.push(text);
			if (open < 0) break;
			const close = rest.indexOf('}}', open + 2);
			const keys = close < 0 ? undefined : fieldKeys(rest.slice(open + 2, close));
			if (!keys) return undefined;
			parts.push(keys);
			rest = rest.slice(close + 2);
		}
		return new FieldTemplate(parts);
	}

	/** The expression's value for an item, or `undefined` where n8n must evaluate it. */
	fill(json: IDataObject): FieldValue | undefined {
		const [only] = this.parts;
		if (this.parts.length === 1 && typeof only !== 'string') return fieldValue(json, only);
		let text = '';
		for (const part of this.parts) {
			const value = typeof part === 'string' ? part : fieldValue(json, part);
			if (value === undefined) return undefined;
			text += String(value);
		}
		return text;
	}
}
