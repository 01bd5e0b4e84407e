import type { IExecuteFunctions, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { FieldTemplate } from './fieldTemplate';
import { defaultOf, mayDifferPerItem, savedValue, type PerItemParameter } from './parameters';

/** How a parameter is read for the run: its one value, from the item, or through n8n for each item. */
type Way = { constant: unknown } | FieldTemplate | 'n8n';

/**
 * The node's per-item parameters for one run, each read the cheapest way that gives n8n's value:
 * one without an expression once for all items; one whose expression only puts fields of the item
 * into text from the item itself (`FieldTemplate`); any other through n8n, for each item.
 */
export class ItemParameters {
	private readonly saved: INodeParameters;

	private readonly items: INodeExecutionData[];

	/** Settled on a parameter's first read: the saved parameters hold for the run. */
	private readonly ways = new Map<PerItemParameter, Way>();

	constructor(private readonly context: IExecuteFunctions) {
		this.saved = context.getNode().parameters;
		this.items = context.getInputData();
	}

	value(path: PerItemParameter, itemIndex: number): unknown {
		const way = this.ways.get(path) ?? this.settleWay(path, itemIndex);
		if (way === 'n8n') return this.fromN8n(path, itemIndex);
		if (!(way instanceof FieldTemplate)) return way.constant;
		const json = this.items[itemIndex]?.json;
		return (json ? way.fill(json) : undefined) ?? this.fromN8n(path, itemIndex);
	}

	private settleWay(path: PerItemParameter, itemIndex: number): Way {
		const way = mayDifferPerItem(this.saved, path)
			? (FieldTemplate.parse(savedValue(this.saved, path)) ?? 'n8n')
			: { constant: this.fromN8n(path, itemIndex) };
		this.ways.set(path, way);
		return way;
	}

	private fromN8n(path: PerItemParameter, itemIndex: number): unknown {
		return this.context.getNodeParameter(path, itemIndex, defaultOf(path)) as unknown;
	}
}
