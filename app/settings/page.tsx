/** Settings open on the workspace's members. */
import { redirect } from "next/navigation";

export const dynamic = "force-dynamic";

export default function SettingsPage(): never {
  redirect("/settings/members");
}
