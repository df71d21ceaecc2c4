import test from "ava";
import { registerConformance } from "./store-conformance/suite.ts";
import { dropTestTables, openFreshDynamo } from "./support/dynamodb-local.ts";

test.after.always(dropTestTables);

registerConformance("dynamodb", () => openFreshDynamo());
