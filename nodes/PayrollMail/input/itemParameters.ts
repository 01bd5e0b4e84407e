import type { IExecuteFunctions, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { FieldTemplate } from './fieldTemplate';
import { defaultOf, mayDifferPerItem, type PerItemParameter } from './parameters';

/**
 * The node's per-item parameters for one run, each read the cheapest way that gives n8n's value:
 * one without an expression once for all items; one whose expression only puts fields of the item
 * into text from the item itself (`FieldTemplate`); any other through n8n, for each item.
 */
export class ItemParameters {
	private readonly saved: INodeParameters;

	private readonly items: INodeExecutionData[];

	private readonly constants = new Map<PerItemParameter, unknown>();

	/** How each parameter is read, settled on its first read: the saved parameters hold for the run. */
	private readonly ways = new Map<PerItemParameter, 'constant' | 'n8n' | FieldTemplate>();

	constructor(private readonly context: IExecuteFunctions) {
		this.saved = context.getNode().parameters;
		this.items = context.getInputData();
	}

	value(path: PerItemParameter, itemIndex: number): unknown {
		const way = this.ways.get(path) ?? this.settleWay(path);
		if (way === 'constant') {
			if (!this.constants.has(path)) this.constants.set(path, this.fromN8n(path, itemIndex));
			return this.constants.get(path);
		}
		const json = this.items[itemIndex]?.json;
		return (way !== 'n8n' && json ? way.fill(json) : undefined) ?? this.fromN8n(path, itemIndex);
	}

	private settleWay(path: PerItemParameter): 'constant' | 'n8n' | FieldTemplate {
		const way = mayDifferPerItem(this.saved, path) ? (FieldTemplate.parse(this.savedValue(path)) ?? 'n8n') : 'constant';
		this.ways.set(path, way);
		return way;
	}

	private fromN8n(path: PerItemParameter, itemIndex: number): unknown {
		return this.context.getNodeParameter(path, itemIndex, defaultOf(path)) as unknown;
	}

	private savedValue(path: PerItemParameter): unknown {
		return path.split('.').reduce<unknown>((value, key) => (value as INodeParameters | undefined)?.[key], this.saved);
	}
}
