import fc from 'fast-check';
import { Workflow, type IDataObject, type INodeTypes } from 'n8n-workflow';

import { FieldTemplate } from '../../nodes/PayrollMail/input/fieldTemplate';

/** n8n's own evaluation of a parameter for one item (its in-process engine, as in n8n 1.x and this package's engine tests). */
function n8nValue(saved: string, json: IDataObject): { value: unknown } | { error: string } {
	const nodeTypes = { getByName: () => ({ description: { properties: [] } }), getByNameAndVersion: () => ({ description: { properties: [] } }) };
	const workflow = new Workflow({
		nodes: [{ id: '1', name: 'Payroll Mail', type: 'payrollMail', typeVersion: 1, position: [0, 0], parameters: {} }],
		connections: {},
		active: false,
		nodeTypes: nodeTypes as unknown as INodeTypes,
	});
	try {
		return { value: workflow.expression.getParameterValue(saved, null, 0, 0, 'Payroll Mail', [{ json }], 'manual', {}) };
	} catch (error) {
		return { error: (error as Error).message };
	}
}

const KEYS = ['email', 'name', 'period', 'a', '_x', '$y', 'Nom', 'é', 'a b', 'it\'s', 'say "hi"', '0', '12', '', 'length', 'toString', 'hasOwnProperty', '__proto__', 'constructor', 'prototype'];
const key = fc.constantFrom(...KEYS);

const accessorOf = (name: string) => {
	const ways = [`["${name}"]`, `['${name}']`];
	if (/^[A-Za-z_$][\w$]*$/.test(name)) ways.push(`.${name}`);
	if (/^\d+$/.test(name)) ways.push(`[${name}]`);
	return fc.constantFrom(...ways);
};

const space = fc.constantFrom('', ' ', '  ', '\n', '\t');

/** A field of `$json`, written in any of the ways n8n reads it, and its keys. */
const fieldReference = fc
	.array(key, { minLength: 1, maxLength: 3 })
	.chain((keys) => fc.tuple(fc.constant(keys), space, fc.tuple(...keys.map(accessorOf)), space))
	.map(([keys, before, accessors, after]) => ({ keys, inner: `${before}$json${accessors.join('')}${after}` }));

/** The inside of `{{ }}`: mostly a field of `$json`, sometimes something only n8n can evaluate. */
const segment = fc.oneof(
	{ weight: 4, arbitrary: fieldReference },
	{
		weight: 1,
		arbitrary: fc
			.constantFrom(' $json ', ' $json.name.toUpperCase() ', ' $json.a + 1 ', ' $now.year ', ' 1 + 1 ', " $json.a ?? 'x' ", ' $json.a.constructor ', ' "}}" ', ' $input.item.json.a ')
			.map((inner) => ({ keys: [] as string[], inner })),
	},
);

/** Text around the fields, with what an expression engine may read as syntax. */
const literal = fc
	.array(
		fc.oneof(
			{ weight: 4, arbitrary: fc.constantFrom('Dear ', 'a', ' ', '\n', '"', "'", ',', 'é', '€', '<p>', '%', '&', '#', '😀') },
			{ weight: 1, arbitrary: fc.constantFrom('{', '}', '\\', '`', '$', '${x}', '.', '. constructor', '.constructor', '{{', '}}', '\u2028') },
		),
		{ maxLength: 6 },
	)
	.map((parts) => parts.join(''));

const leaf = fc.oneof(
	fc.string({ maxLength: 8 }),
	fc.constantFrom('{{ $json.a }}', '={{ 1 + 1 }}', 'Ana\r\nBcc: x@example.com', '', ' ', '[object Object]'),
	fc.double(),
	fc.constantFrom(0, -0, 1e21, 1e-7, 0.1 + 0.2, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Number.POSITIVE_INFINITY),
	fc.integer(),
	fc.boolean(),
	fc.constantFrom(null, undefined),
);

const itemJson: fc.Arbitrary<IDataObject> = fc.letrec((tie) => ({
	value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object'), fc.array(leaf, { maxLength: 3 })),
	object: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
})).object as fc.Arbitrary<IDataObject>;

/** Puts `value` at `keys` as own properties (a key may be `__proto__`), over whatever is there. */
function place(json: IDataObject, keys: string[], value: unknown): void {
	let target: IDataObject = json;
	keys.forEach((name, index) => {
		// An array's length is no field to set; the item keeps what it has there.
		if (Array.isArray(target) && name === 'length') return;
		const own = Object.prototype.hasOwnProperty.call(target, name) ? target[name] : undefined;
		const next = index === keys.length - 1 ? value : typeof own === 'object' && own !== null ? own : {};
		Object.defineProperty(target, name, { value: next, enumerable: true, writable: true, configurable: true });
		target = next as IDataObject;
	});
}

/** A saved parameter, and an item that mostly holds what its fields name. */
const expressionAndItem = fc
	.tuple(literal, fc.array(fc.tuple(segment, literal), { maxLength: 3 }), itemJson, fc.array(leaf, { minLength: 3, maxLength: 3 }), fc.boolean())
	.map(([first, rest, json, values, fill]) => {
		if (fill) rest.forEach(([{ keys }], index) => keys.length && place(json, keys, values[index]));
		return { saved: `=${first}${rest.map(([{ inner }, text]) => `{{${inner}}}${text}`).join('')}`, json };
	});

describe('FieldTemplate: expressions that only read fields of the item', () => {
	it("gives n8n's own value whenever it gives one (property: generated expressions and items)", () => {
		let readHere = 0;
		let runs = 0;
		fc.assert(
			fc.property(expressionAndItem, ({ saved, json }) => {
				runs++;
				const value = FieldTemplate.parse(saved)?.fill(json);
				if (value === undefined) return;
				readHere++;
				const n8n = n8nValue(saved, json);
				expect({ saved, json, n8n }).toEqual({ saved, json, n8n: { value } });
				expect(Object.is((n8n as { value: unknown }).value, value)).toBe(true);
			}),
			{ numRuns: 3_000 },
		);
		// Not vacuous: many of the generated expressions were read here.
		expect(readHere).toBeGreaterThan(runs / 5);
	});

	it("reads the clerk's usual expressions without n8n", () => {
		const employee = { email: 'ana@example.com', name: 'Ana Müller', period: 202611, data: { 'Adresse e-mail': 'ana@example.fr' }, confirmed: true };
		const expected: Array<[string, unknown]> = [
			['={{ $json.email }}', 'ana@example.com'],
			['={{$json.email}}', 'ana@example.com'],
			['=Your payslip for {{ $json.period }}', 'Your payslip for 202611'],
			['={{ $json.period }}', 202611],
			['=Dear {{ $json.name }},\n\nyour payslip for {{ $json.period }} is attached.', 'Dear Ana Müller,\n\nyour payslip for 202611 is attached.'],
			['={{ $json.data["Adresse e-mail"] }}', 'ana@example.fr'],
			["={{ $json['data']['Adresse e-mail'] }}", 'ana@example.fr'],
			['={{ $json.confirmed }}', true],
			['=payslip-{{ $json.email }}-{{ $json.period }}', 'payslip-ana@example.com-202611'],
			['=<p style="margin: 0">Dear {{ $json.name }}</p>', '<p style="margin: 0">Dear Ana Müller</p>'],
		];
		for (const [saved, value] of expected) {
			expect({ saved, value: FieldTemplate.parse(saved)?.fill(employee) }).toEqual({ saved, value });
			expect({ saved, n8n: n8nValue(saved, employee) }).toEqual({ saved, n8n: { value } });
		}
	});

	it('leaves to n8n what only n8n can evaluate, and fields that are missing or hold no text', () => {
		const employee = { email: 'ana@example.com', missing: null, list: ['a'], nested: { a: 1 }, nan: Number.NaN };
		const notHere = [
			'={{ $json.email.toUpperCase() }}',
			'={{ $json.missing }}',
			'={{ $json.absent }}',
			'={{ $json.list }}',
			'={{ $json.nested }}',
			'={{ $json.nan }}',
			'={{ $json.email.length }}',
			'={{ $json.__proto__ }}',
			'={{ $json.constructor }}',
			'=Dear x.constructor {{ $json.email }}',
			'={{ $json }}',
			'={{ $now }}',
			'=\\{{ $json.email }}',
			'={{ $json.email }}}}',
			'={{ $json.email ',
			'={{ $json.email + "}}" }}',
			'{{ $json.email }}',
		];
		for (const saved of notHere) expect({ saved, value: FieldTemplate.parse(saved)?.fill(employee) }).toEqual({ saved, value: undefined });
	});
});
