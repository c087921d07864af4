/** The home page is the run list: what is happening is what one opens Baton to see. */
import { redirect } from "next/navigation";

export const dynamic = "force-dynamic";

export default function Home(): never {
  redirect("/runs");
}
