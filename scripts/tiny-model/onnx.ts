/**
 * Just enough of ONNX to write a model file: the subset of onnx.proto (field numbers as in
 * onnx/onnx.proto, IR version 8) that a graph of plain operators with float/int64 initializers
 * needs, parsed by protobufjs at run time, plus small builders for nodes and tensors.
 *
 * Writing the protobuf ourselves keeps `npm run models:tiny` free of Python and of the network.
 */
import protobuf from "protobufjs";

const ONNX_SUBSET = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  repeated float floats = 7;
  repeated int64 ints = 8;
  int32 type = 20;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  repeated AttributeProto attribute = 5;
  string domain = 7;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message ModelProto {
  int64 ir_version = 1;
  string producer_name = 2;
  string producer_version = 3;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  string name = 8;
  bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { int64 dim_value = 1; string dim_param = 2; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  Tensor tensor_type = 1;
}
`;

/** TensorProto.DataType and AttributeProto.AttributeType values used here. */
export const FLOAT = 1;
export const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

export interface Node {
  op_type: string;
  input: string[];
  output: string[];
  name: string;
  attribute: Record<string, unknown>[];
}

export interface Tensor {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

export function floatTensor(name: string, dims: number[], values: Float32Array | number[]): Tensor {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${data.length} values for dims ${dims}`);
  // raw_data is little-endian, which every machine that runs Node here is.
  return { name, dims, data_type: FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): Tensor {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims, data_type: INT64, raw_data: new Uint8Array(data.buffer) };
}

type AttrValue = number | number[] | { float: number };

/** A node; integer attributes as numbers, integer lists as arrays, floats as `{ float }`. */
export function node(op: string, input: string[], output: string[], attrs: Record<string, AttrValue> = {}): Node {
  const attribute = Object.entries(attrs).map(([name, v]) => {
    if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
    if (typeof v === "object") return { name, type: ATTR.FLOAT, f: v.float };
    return { name, type: ATTR.INT, i: v };
  });
  return { op_type: op, input, output, name: `${op}_${output[0]}`, attribute };
}

/** A graph input or output: element type and dims, strings for symbolic ones ("batch"). */
export function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

export function encodeModel(opts: {
  nodes: Node[];
  initializers: Tensor[];
  inputs: ReturnType<typeof valueInfo>[];
  outputs: ReturnType<typeof valueInfo>[];
  opset: number;
  doc: string;
}): Uint8Array {
  const root = protobuf.parse(ONNX_SUBSET, { keepCase: true }).root;
  const ModelProto = root.lookupType("onnx.ModelProto");
  const model = {
    ir_version: 8,
    producer_name: "baton make-tiny-model",
    producer_version: "1",
    doc_string: opts.doc,
    opset_import: [{ domain: "", version: opts.opset }],
    graph: {
      name: "tiny_bert",
      node: opts.nodes,
      initializer: opts.initializers,
      input: opts.inputs,
      output: opts.outputs,
    },
  };
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`ONNX model does not fit the schema: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
